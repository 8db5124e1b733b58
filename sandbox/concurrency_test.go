package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
	"github.com/upstream-sandbox/sandbox/store"
)

// call is a goroutine-safe request: it reports failures as errors instead of
// stopping the test from a goroutine that is not the test's.
func call(client *http.Client, method, url, tenant string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Sandbox-Tenant", tenant)
	req.Header.Set("Authorization", brokerAuth)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

// Many writers in several tenants at once, with resets of other tenants running
// alongside: every acknowledged plan is readable, every listing is exact, and
// a tenant reset while others write never disturbs them. Run with -race.
func TestServer_ConcurrentTenants(t *testing.T) {
	for _, backend := range []string{"memory", "bolt"} {
		t.Run(backend, func(t *testing.T) {
			var opts []sandboxtest.Option
			if backend == "bolt" {
				st, err := store.OpenBolt(filepath.Join(t.TempDir(), "sandbox.db"))
				require.NoError(t, err)
				opts = append(opts, sandboxtest.WithStore(st))
			}
			e := newEnv(t, opts...)
			body, err := json.Marshal(planBody(t))
			require.NoError(t, err)

			const tenants, writers, perWriter = 4, 4, 6
			var mu sync.Mutex
			created := map[string][]string{} // tenant → ids
			var wg sync.WaitGroup
			errs := make(chan error, tenants*writers*perWriter+64)
			for ti := range tenants {
				tenant := fmt.Sprintf("w%d", ti)
				for range writers {
					wg.Go(func() {
						for range perWriter {
							status, raw, err := call(e.Client, http.MethodPost, e.URL+plansPath, tenant, body)
							if err != nil || status != http.StatusCreated {
								errs <- fmt.Errorf("%s create: %d %v %.200s", tenant, status, err, raw)
								return
							}
							var out struct {
								Data struct {
									ID string `json:"id"`
								} `json:"data"`
							}
							if err := json.Unmarshal(raw, &out); err != nil {
								errs <- err
								return
							}
							mu.Lock()
							created[tenant] = append(created[tenant], out.Data.ID)
							mu.Unlock()
						}
					})
				}
			}
			// Resets of other tenants (and of one being created) run meanwhile.
			for ri := range 3 {
				tenant := fmt.Sprintf("r%d", ri)
				wg.Go(func() {
					for range 10 {
						status, raw, err := call(e.Client, http.MethodPost, e.URL+"/_sandbox/reset", tenant, nil)
						if err != nil || status != http.StatusOK {
							errs <- fmt.Errorf("%s reset: %d %v %.200s", tenant, status, err, raw)
							return
						}
						if status, _, err := call(e.Client, http.MethodPost, e.URL+plansPath, tenant, body); err != nil || status != http.StatusCreated {
							errs <- fmt.Errorf("%s create after reset: %d %v", tenant, status, err)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			require.False(t, t.Failed())

			for ti := range tenants {
				tenant := fmt.Sprintf("w%d", ti)
				ids := created[tenant]
				require.Len(t, ids, writers*perWriter)
				list := listIDs(t, e.in(tenant, http.MethodGet, plansPath+"?limit=1000", nil))
				require.ElementsMatch(t, append([]string{p1ID}, ids...), list, tenant)
				for _, id := range ids {
					require.Equal(t, http.StatusOK, e.in(tenant, http.MethodGet, plansPath+"/"+id, nil).StatusCode)
				}
				// planIDs are unique within the tenant's day counter.
				seen := map[string]bool{}
				state := e.in(tenant, http.MethodGet, "/_sandbox/state/prozorro", nil)
				var dump struct {
					Plans []struct {
						Data struct {
							PlanID string `json:"planID"`
						} `json:"data"`
					} `json:"plans"`
				}
				require.NoError(t, json.Unmarshal(state.Body, &dump))
				for _, p := range dump.Plans {
					require.False(t, seen[p.Data.PlanID], "duplicate planID %s", p.Data.PlanID)
					seen[p.Data.PlanID] = true
				}
			}
			for ri := range 3 {
				tenant := fmt.Sprintf("r%d", ri)
				require.Len(t, listIDs(t, e.in(tenant, http.MethodGet, plansPath, nil)), 2, "P1 plus the plan created after the last reset")
			}
		})
	}
}

// Concurrent first requests of a new tenant create it once; concurrent resets
// of one tenant leave exactly its scenario (not two copies of its counters).
func TestServer_ConcurrentFirstUseAndResets(t *testing.T) {
	e := newEnv(t)
	body, err := json.Marshal(planBody(t))
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 16 {
		wg.Go(func() {
			status, raw, err := call(e.Client, http.MethodGet, e.URL+plansPath, "fresh", nil)
			if err != nil || status != http.StatusOK {
				errs <- fmt.Errorf("first use: %d %v %.200s", status, err, raw)
			}
		})
	}
	wg.Wait()
	require.Equal(t, []string{p1ID}, listIDs(t, e.in("fresh", http.MethodGet, plansPath, nil)))

	for range 16 {
		wg.Go(func() {
			status, raw, err := call(e.Client, http.MethodPost, e.URL+"/_sandbox/reset", "fresh", nil)
			if err != nil || status != http.StatusOK {
				errs <- fmt.Errorf("reset: %d %v %.200s", status, err, raw)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.Equal(t, []string{p1ID}, listIDs(t, e.in("fresh", http.MethodGet, plansPath, nil)))
	status, raw, err := call(e.Client, http.MethodPost, e.URL+plansPath, "fresh", body)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, status, string(raw))
	var out struct {
		Data struct {
			PlanID string `json:"planID"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &out))
	require.Equal(t, "UA-P-2026-11-24-000002", out.Data.PlanID, "the scenario's counters were loaded once")
}
