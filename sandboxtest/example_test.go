package sandboxtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

// Example shows a test against the Prozorro plans registry: a fresh tenant of
// the ci-minimal world, whose plan P1 has a literal id.
func Example() {
	t := &testing.T{} // in a real test: the *testing.T of the test function
	sb := sandboxtest.New(t)

	resp := sb.Do(http.MethodGet, "/prozorro/api/2.3/plans/c1000000000040008000000000000001", nil)
	plan := resp.Object()["data"].(map[string]any)
	fmt.Println(resp.StatusCode, plan["planID"])

	resp = sb.Do(http.MethodGet, "/prozorro/api/2.3/plans/nosuch", nil)
	fmt.Println(resp.StatusCode, string(resp.Body))
	// Output:
	// 200 UA-P-2026-11-24-000001
	// 404 {"status": "error", "errors": [{"description": "Not Found", "location": "url", "name": "plan_id"}]}
}
