package prozorro

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// Forced outcomes of §9.4. auction.results is accepted now and consumed by the
// auction module once auctions exist.
var outcomeNames = []string{"conflict", "docservice.failure", "auction.results"}

func validateOutcome(o *emulators.Outcome) error {
	if !contains(outcomeNames, o.Outcome) {
		return fmt.Errorf("%w: unknown outcome %q (one of %s)", emulators.ErrBadControl, o.Outcome, strings.Join(outcomeNames, ", "))
	}
	allowedMatch := map[string][]string{
		"conflict":           {"method", "path"},
		"docservice.failure": {},
		"auction.results":    {"auction"},
	}[o.Outcome]
	for k, v := range o.Match {
		if !contains(allowedMatch, k) {
			return fmt.Errorf("%w: outcome %s has no match member %q", emulators.ErrBadControl, o.Outcome, k)
		}
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%w: match.%s must be a string", emulators.ErrBadControl, k)
		}
	}
	for k := range o.Members {
		if !(o.Outcome == "auction.results" && k == "bids") {
			return fmt.Errorf("%w: outcome %s has no member %q", emulators.ErrBadControl, o.Outcome, k)
		}
	}
	if o.Outcome == "auction.results" && o.MatchString("auction") == "" {
		return fmt.Errorf("%w: auction.results needs match.auction", emulators.ErrBadControl)
	}
	return nil
}

// forcedConflict consumes a queued "conflict" matching this write and answers
// E14. It runs at the point of saving (§7.2 step 10), after every check: the
// caller must not have written anything yet, and on a conflict only the
// consumption commits (emulators.CommitAnyway).
func (s *service) forcedConflict(tx emulators.Tx, r *http.Request) error {
	path := emulators.ServicePath(r)
	o, err := emulators.TakeOutcome(tx, Name, func(o *emulators.Outcome) bool {
		if o.Outcome != "conflict" {
			return false
		}
		if m := o.MatchString("method"); m != "" && !strings.EqualFold(m, r.Method) {
			return false
		}
		if p := o.MatchString("path"); p != "" && !emulators.MatchGlob(p, path) {
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	if o != nil {
		return emulators.CommitAnyway(errConflict())
	}
	return nil
}

// forcedUploadFailure consumes a queued "docservice.failure" (next multipart upload).
func (s *service) forcedUploadFailure(tx emulators.Tx) (bool, error) {
	o, err := emulators.TakeOutcome(tx, Name, func(o *emulators.Outcome) bool { return o.Outcome == "docservice.failure" })
	return o != nil, err
}
