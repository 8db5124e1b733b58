package prozorro

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Kyiv must resolve in a scratch container too
)

// loadKyiv returns the upstream's zone (TZ = Europe/Kiev).
func loadKyiv() *time.Location {
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		panic(fmt.Sprintf("prozorro: embedded tzdata lacks Europe/Kyiv: %v", err))
	}
	return loc
}

// isoformat renders t like Python datetime.isoformat(): microseconds
// (truncated), the fraction omitted when they are zero, offset ±HH:MM.
func isoformat(t time.Time) string {
	us := t.Nanosecond() / 1000
	var b strings.Builder
	b.WriteString(t.Format("2006-01-02T15:04:05"))
	if us != 0 {
		fmt.Fprintf(&b, ".%06d", us)
	}
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	fmt.Fprintf(&b, "%c%02d:%02d", sign, off/3600, off%3600/60)
	return b.String()
}

// parseISO8601 reads an IsoDateTimeType value: naive → Kyiv local time, an
// explicit offset is kept as given, a date alone is local midnight. The error
// text is the upstream's message.
func parseISO8601(s string, kyiv *time.Location) (time.Time, error) {
	m := isoRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("Could not parse %s. Should be ISO8601.", s)
	}
	g := func(name string) string { return m[isoRE.SubexpIndex(name)] }
	if g("month") != "" && g("day") == "" && g("daydash") == "" {
		// the library refused YYYYMM (a negative lookahead Go's regexp lacks)
		return time.Time{}, fmt.Errorf("Could not parse %s. Should be ISO8601.", s)
	}
	num := func(v string, def int) int {
		if v == "" {
			return def
		}
		n, _ := strconv.Atoi(v)
		return n
	}
	year := num(g("year"), 0)
	month := num(g("monthdash")+g("month"), 1)
	day := num(g("daydash")+g("day"), 1)
	hour, minute, second := num(g("hour"), 0), num(g("minute"), 0), num(g("second"), 0)
	frac := g("fraction")
	us := 0
	if frac != "" {
		if len(frac) > 6 {
			frac = frac[:6]
		}
		us, _ = strconv.Atoi(frac + strings.Repeat("0", 6-len(frac)))
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59 || year < 1 {
		return time.Time{}, fmt.Errorf("Could not parse %s. Should be ISO8601.", s)
	}
	loc := kyiv
	naive := true
	switch tz := g("timezone"); {
	case tz == "Z":
		loc, naive = time.UTC, false
	case tz != "":
		h, mm := num(g("tzhour"), 0), num(g("tzminute"), 0)
		off := h*3600 + mm*60
		if g("tzsign") == "-" {
			off = -off
		}
		loc, naive = time.FixedZone("", off), false
		if off == 0 {
			loc = time.FixedZone("", 0)
		}
	}
	if naive && ((year == 9999 && month == 12 && day == 31) || (year == 1 && month == 1 && day == 1)) {
		// pytz localize() probes ±1 day around a naive time: the upstream raised
		// OverflowError at the ends of the calendar.
		return time.Time{}, fmt.Errorf("date value out of range")
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, us*1000, loc), nil
}

// isoRE is the grammar of the Python iso8601 0.1 library the upstream parsed
// dates with (YYYY, YYYY-MM, YYYY-MM-DD, then an optional time and zone).
var isoRE = regexp.MustCompile(`^(?P<year>[0-9]{4})` +
	`(?:(?:-(?P<monthdash>[0-9]{1,2})|(?P<month>[0-9]{2}))` +
	`(?:(?:-(?P<daydash>[0-9]{1,2})|(?P<day>[0-9]{2}))` +
	`(?:(?P<sep>[ T])(?P<hour>[0-9]{2})(?::?(?P<minute>[0-9]{2}))?` +
	`(?::?(?P<second>[0-9]{1,2})(?:[.,](?P<fraction>[0-9]+))?)?` +
	`(?P<timezone>Z|(?P<tzsign>[-+])(?P<tzhour>[0-9]{2}):?(?P<tzminute>[0-9]{2})?)?)?)?)?$`)

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// isoAfter reports whether isoformat text a is a later instant than b
// (comparing instants, not text: offsets may differ).
func isoAfter(a, b string) bool {
	ta, errA := parseISO8601(a, time.UTC)
	tb, errB := parseISO8601(b, time.UTC)
	return errA == nil && errB == nil && ta.After(tb)
}
