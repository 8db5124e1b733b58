package emulators

// MatchGlob matches a path against a pattern used by fault rules and forced
// outcomes: "*" matches within one path segment, "**" across segments, "?" one
// character; everything else literally. "/api/2.3/plans/*" matches
// "/api/2.3/plans/abc" but not "/api/2.3/plans/abc/documents".
func MatchGlob(pattern, path string) bool {
	for len(pattern) > 0 {
		switch {
		case len(pattern) >= 2 && pattern[:2] == "**":
			rest := pattern[2:]
			for i := 0; i <= len(path); i++ {
				if MatchGlob(rest, path[i:]) {
					return true
				}
			}
			return false
		case pattern[0] == '*':
			rest := pattern[1:]
			for i := 0; i <= len(path); i++ {
				if MatchGlob(rest, path[i:]) {
					return true
				}
				if i < len(path) && path[i] == '/' {
					return false
				}
			}
			return false
		case len(path) == 0:
			return false
		case pattern[0] == '?':
			if path[0] == '/' {
				return false
			}
		case pattern[0] != path[0]:
			return false
		}
		pattern, path = pattern[1:], path[1:]
	}
	return len(path) == 0
}
