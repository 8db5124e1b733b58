package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/store"
)

// syncBuffer is a bytes.Buffer safe for a server goroutine writing while the
// test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want func(t *testing.T, o *options)
	}{
		{"defaults", nil, nil, func(t *testing.T, o *options) {
			require.Equal(t, &options{
				addr: "127.0.0.1:8080", listen: listenFlag{}, scenario: "demo", seed: 1, cors: true,
				logLevel: "info", journalSize: 1000,
			}, o)
		}},
		{"every flag",
			[]string{"--addr", "0.0.0.0:9000", "--listen", "prozorro=127.0.0.1:6543", "--data", "/tmp/x.db", "--memory",
				"--scenario", "ci-minimal", "--seed", "18446744073709551615", "--cors=false", "--log-level", "debug",
				"--journal-size", "5", "--clock", "2026-01-01T00:00:00Z"},
			nil, func(t *testing.T, o *options) {
				require.Equal(t, &options{
					addr: "0.0.0.0:9000", listen: listenFlag{"prozorro": "127.0.0.1:6543"}, data: "/tmp/x.db", memory: true,
					scenario: "ci-minimal", seed: 18446744073709551615, cors: false, logLevel: "debug", journalSize: 5,
					clock: "2026-01-01T00:00:00Z",
				}, o)
			}},
		{"environment", nil, map[string]string{
			"SANDBOX_ADDR": "127.0.0.1:0", "SANDBOX_MEMORY": "true", "SANDBOX_SCENARIO": "empty", "SANDBOX_SEED": "42",
			"SANDBOX_CORS": "false", "SANDBOX_LOG_LEVEL": "warn", "SANDBOX_JOURNAL_SIZE": "7", "SANDBOX_CLOCK": "2026-01-01T00:00:00Z",
			"SANDBOX_DATA": "/tmp/env.db", "SANDBOX_LISTEN": "prozorro=127.0.0.1:1,astral=127.0.0.1:2",
		}, func(t *testing.T, o *options) {
			require.Equal(t, &options{
				addr: "127.0.0.1:0", listen: listenFlag{"prozorro": "127.0.0.1:1", "astral": "127.0.0.1:2"}, data: "/tmp/env.db",
				memory: true, scenario: "empty", seed: 42, cors: false, logLevel: "warn", journalSize: 7, clock: "2026-01-01T00:00:00Z",
			}, o)
		}},
		{"flags win over the environment",
			[]string{"--addr", "127.0.0.1:1234", "--scenario", "ci-minimal", "--memory=false", "--journal-size", "3", "--listen", "prozorro=127.0.0.1:5"},
			map[string]string{"SANDBOX_ADDR": "0.0.0.0:80", "SANDBOX_SCENARIO": "empty", "SANDBOX_MEMORY": "true", "SANDBOX_JOURNAL_SIZE": "9",
				"SANDBOX_LISTEN": "prozorro=127.0.0.1:4"},
			func(t *testing.T, o *options) {
				require.Equal(t, "127.0.0.1:1234", o.addr)
				require.Equal(t, "ci-minimal", o.scenario)
				require.False(t, o.memory)
				require.Equal(t, 3, o.journalSize)
				require.Equal(t, listenFlag{"prozorro": "127.0.0.1:5"}, o.listen)
			}},
		{"repeated --listen", []string{"--listen", "prozorro=127.0.0.1:1", "--listen", "mos=127.0.0.1:2"}, nil, func(t *testing.T, o *options) {
			require.Equal(t, listenFlag{"prozorro": "127.0.0.1:1", "mos": "127.0.0.1:2"}, o.listen)
			require.Equal(t, "mos=127.0.0.1:2,prozorro=127.0.0.1:1", o.listen.String())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOptions(tc.args, envOf(tc.env), io.Discard)
			require.NoError(t, err)
			tc.want(t, o)
		})
	}

	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		msg  string
	}{
		{"bad env value names the variable", nil, map[string]string{"SANDBOX_SEED": "abc"}, "SANDBOX_SEED"},
		{"bad env bool", nil, map[string]string{"SANDBOX_MEMORY": "sure"}, "SANDBOX_MEMORY"},
		{"bad flag", []string{"--seed", "-1"}, nil, "seed"},
		{"unknown flag", []string{"--nosuch"}, nil, "nosuch"},
		{"negative journal", []string{"--journal-size", "-1"}, nil, "journal-size"},
		{"stray argument", []string{"--memory", "extra"}, nil, "extra"},
		{"bad listen", []string{"--listen", "prozorro"}, nil, "SERVICE=ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseOptions(tc.args, envOf(tc.env), io.Discard)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

var listeningRE = regexp.MustCompile(`sandbox: listening on http://(\S+)`)

// serveInProcess runs run() in a goroutine and returns the main listener's
// address once it is printed.
func serveInProcess(t *testing.T, args []string, env map[string]string) (string, *syncBuffer, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"sandbox"}, args...), envOf(env), stdout, stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(stdout.String()); m != nil {
			t.Cleanup(cancel)
			return m[1], stdout, cancel, done
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before listening: %v\nstderr: %s", err, stderr)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("no listening line; stdout: %s stderr: %s", stdout, stderr)
	return "", nil, nil, nil
}

func TestRun_ServeAndShutDown(t *testing.T) {
	addr, _, cancel, done := serveInProcess(t, []string{"--addr", "127.0.0.1:0", "--memory", "--scenario", "ci-minimal", "--log-level", "error"}, nil)
	resp, err := http.Get("http://" + addr + "/prozorro/api/2.3/plans/c1000000000040008000000000000001")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "a cancelled context is a clean shutdown")
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	_, err = http.Get("http://" + addr + "/_sandbox/health")
	require.Error(t, err, "the listener is closed")
}

func TestRun_ServeErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"bad clock", []string{"--clock", "tomorrow"}, "--clock"},
		{"unknown scenario", []string{"--scenario", "nosuch"}, "nosuch"},
		{"bad log level", []string{"--log-level", "loud"}, "--log-level"},
		{"unknown service", []string{"--listen", "nosuch=127.0.0.1:0"}, "nosuch"},
		{"address in use", []string{"--addr", busy.Addr().String()}, "listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"sandbox", "--memory", "--addr", "127.0.0.1:0"}, tc.args...), envOf(nil), io.Discard, io.Discard)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}

	t.Run("a failed start releases the listeners it opened", func(t *testing.T) {
		free, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := free.Addr().String()
		require.NoError(t, free.Close())
		err = run(context.Background(), []string{"sandbox", "--memory", "--addr", addr, "--listen", "prozorro=" + busy.Addr().String()},
			envOf(nil), io.Discard, io.Discard)
		require.Error(t, err)
		again, err := net.Listen("tcp", addr)
		require.NoError(t, err, "the main listener was left bound")
		again.Close()
	})
}

func TestRun_Subcommands(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "upstream-sandbox " + version + "\n"},
		{[]string{"help"}, usage},
	} {
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), append([]string{"sandbox"}, tc.args...), envOf(nil), &out, io.Discard))
		require.Equal(t, tc.want, out.String())
	}

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"sandbox", "scenarios"}, envOf(nil), &out, io.Discard))
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		names = append(names, strings.Fields(line)[0])
	}
	require.Equal(t, []string{"ci-minimal", "demo", "empty", "load-100k"}, names)

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"sandbox", "openapi", "prozorro"}, envOf(nil), &out, io.Discard))
	require.True(t, strings.HasPrefix(out.String(), "openapi: "))

	for _, args := range [][]string{{"openapi"}, {"openapi", "nosuch"}, {"openapi", "a", "b"}, {"nosuch"}} {
		require.Error(t, run(context.Background(), append([]string{"sandbox"}, args...), envOf(nil), io.Discard, io.Discard), args)
	}

	// -h prints the usage and is not an error.
	var stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"sandbox", "-h"}, envOf(nil), io.Discard, &stderr))
	require.Contains(t, stderr.String(), "Usage: sandbox")
}

func TestRun_Healthcheck(t *testing.T) {
	status := http.StatusOK
	var mu sync.Mutex
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/_sandbox/health" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer hs.Close()
	addr := strings.TrimPrefix(hs.URL, "http://")
	check := func(args []string, env map[string]string) error {
		return run(context.Background(), append([]string{"sandbox", "healthcheck"}, args...), envOf(env), io.Discard, io.Discard)
	}

	require.NoError(t, check([]string{"--url", hs.URL + "/_sandbox/health"}, nil))
	require.NoError(t, check(nil, map[string]string{"SANDBOX_ADDR": addr}), "the address comes from SANDBOX_ADDR")
	_, port, _ := net.SplitHostPort(addr)
	require.NoError(t, check(nil, map[string]string{"SANDBOX_ADDR": "0.0.0.0:" + port}), "a wildcard host is dialled on loopback")
	require.Error(t, check([]string{"--url", hs.URL + "/elsewhere"}, nil), "404 is unhealthy")
	mu.Lock()
	status = http.StatusServiceUnavailable
	mu.Unlock()
	require.Error(t, check([]string{"--url", hs.URL + "/_sandbox/health"}, nil), "503 is unhealthy")

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := closed.Addr().String()
	closed.Close()
	require.Error(t, check(nil, map[string]string{"SANDBOX_ADDR": dead}), "nothing listening")
	require.Error(t, check([]string{"--nosuch"}, nil))
	require.Error(t, check([]string{"extra"}, nil))

	for _, tc := range []struct{ in, want string }{
		{"", "127.0.0.1:8080"},
		{"0.0.0.0:8080", "127.0.0.1:8080"},
		{":9000", "127.0.0.1:9000"},
		{"[::]:9000", "127.0.0.1:9000"},
		{"10.1.2.3:80", "10.1.2.3:80"},
		{"[::1]:80", "[::1]:80"},
		{"localhost:8080", "localhost:8080"},
	} {
		require.Equal(t, tc.want, dialAddr(tc.in), tc.in)
	}
}

// export/import move one tenant between data files (demo environments).
func TestRun_ExportImport(t *testing.T) {
	dir := t.TempDir()
	src, dst, dump := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db"), filepath.Join(dir, "demo.json")
	st, err := store.OpenBolt(src)
	require.NoError(t, err)
	b := store.Bucket{Service: "prozorro", Kind: "plans"}
	require.NoError(t, st.Update("demo", time.Time{}, func(tx store.Tx) error { return tx.Put(b, []byte("k"), []byte("v")) }))
	require.NoError(t, st.Close())
	env := func(string) string { return "" }
	var out, errb bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"sandbox", "export", "--data", src, "--tenant", "demo", "--out", dump}, env, &out, &errb))
	require.NoError(t, run(context.Background(), []string{"sandbox", "import", "--data", dst, "--tenant", "shown", dump}, env, &out, &errb))
	st, err = store.OpenBolt(dst)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.View("shown", time.Time{}, func(tx store.Tx) error {
		require.Equal(t, "v", string(tx.Get(b, []byte("k"))))
		return nil
	}))
	require.Error(t, run(context.Background(), []string{"sandbox", "export", "--tenant", "demo"}, env, &out, &errb), "no --data")
	require.Error(t, run(context.Background(), []string{"sandbox", "export", "--data", filepath.Join(dir, "none.db")}, env, &out, &errb))
	require.Error(t, run(context.Background(), []string{"sandbox", "import", "--data", dst, "--tenant", "bad name", dump}, env, &out, &errb))
	require.Error(t, run(context.Background(), []string{"sandbox", "import", "--data", dst, filepath.Join(dir, "missing.json")}, env, &out, &errb))
}
