package prozorro

import (
	"encoding/json"
	"fmt"

	"github.com/upstream-sandbox/sandbox/fixtures"
)

// constants holds the literal wire strings and ordered lists of constants.json
// and the classifier files (order is significant: messages print lists in it).
type constants struct {
	DocumentTypes struct {
		Plan []string `json:"plan"`
	} `json:"documentTypes"`
	PlanProcedures     map[string][]string `json:"planProcedures"`
	PlanMethodChoices  string              `json:"planProcurementMethodChoicesMessage"`
	AdditionalSchemes  []string            `json:"additionalClassificationSchemes2017"`
	DownloadLifetimeS  int                 `json:"-"`
	TimingsRaw         map[string]int      `json:"timings"`
	dk021              []string
	dk021Set           map[string]bool
	dk021Msg           string
	planSchemes        []string
	planSchemesChoices string
	planMethodOrder    []string
}

func loadConstants() (*constants, error) {
	raw, err := fixtures.Read("prozorro/constants.json")
	if err != nil {
		return nil, err
	}
	c := &constants{}
	if err := json.Unmarshal(raw, c); err != nil {
		return nil, fmt.Errorf("prozorro: constants.json: %w", err)
	}
	c.DownloadLifetimeS = c.TimingsRaw["downloadUrlLifetimeSeconds"]
	if c.dk021, err = fixtures.Lines("prozorro/dk021-codes.txt"); err != nil {
		return nil, err
	}
	c.dk021Set = make(map[string]bool, len(c.dk021))
	for _, code := range c.dk021 {
		c.dk021Set[code] = true
	}
	c.dk021Msg = "Value must be one of " + reprStrings(c.dk021, true) + "."
	if c.planSchemes, err = fixtures.Lines("prozorro/ora-codes-plans.txt"); err != nil {
		return nil, err
	}
	c.planSchemesChoices = "Value must be one of " + reprStrings(c.planSchemes, true) + "."
	// PROCEDURES in the upstream's (Python 2 dict) order, as messages print it.
	c.planMethodOrder = []string{"", "limited", "open"}
	return c, nil
}
