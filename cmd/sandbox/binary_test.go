package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/scenarios"
)

// The black-box tests below start the real binary, built once by TestMain.
var (
	binPath  string
	buildErr error
)

const binVersion = "v0.0.0-blackbox"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sandbox-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "sandbox")
	buildErr = buildBinary(binPath)
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildBinary runs `go build` with the go tool on PATH (or the one of the
// running toolchain), stamping a version the tests can recognise.
func buildBinary(out string) error {
	gotool, err := exec.LookPath("go")
	if err != nil {
		gotool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(gotool, "build", "-buildvcs=false", "-o", out, "-ldflags", "-X main.version="+binVersion, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, b)
	}
	return nil
}

// proc is a running sandbox binary.
type proc struct {
	cmd    *exec.Cmd
	stdout chan string // lines, closed at EOF
	stderr *syncBuffer
	done   chan struct{}
	err    error // Wait's result, once done is closed
	addr   string
	lines  []string // stdout lines seen while starting
}

// testEnv is the environment of a started binary: nothing inherited from the
// developer's shell (no SANDBOX_* leaking in), a private home and cache dir.
func testEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, "cache")}, extra...)
}

// startBinary starts the binary and waits for its "listening on" line.
func startBinary(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	require.NoError(t, buildErr)
	p := &proc{cmd: exec.Command(binPath, args...), stdout: make(chan string, 64), stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.stdout <- sc.Text()
		}
		close(p.stdout)
		p.err = p.cmd.Wait() // only after every read of the pipe
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	timeout := time.After(10 * time.Second)
	for p.addr == "" {
		select {
		case line, ok := <-p.stdout:
			if !ok {
				<-p.done
				t.Fatalf("sandbox exited before listening: %v\nstderr: %s", p.err, p.stderr)
			}
			p.lines = append(p.lines, line)
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				p.addr = m[1]
			}
		case <-timeout:
			t.Fatalf("no listening line within 10s; stdout: %q stderr: %s", p.lines, p.stderr)
		}
	}
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("sandbox did not exit; stderr: %s", p.stderr)
	}
	var exit *exec.ExitError
	if errors.As(p.err, &exit) {
		return exit.ExitCode()
	}
	require.NoError(t, p.err)
	return 0
}

func httpDo(t *testing.T, method, url string, body any, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, raw
}

const p1 = "c1000000000040008000000000000001"

func planBody(t *testing.T) map[string]any {
	t.Helper()
	cat, err := scenarios.Load()
	require.NoError(t, err)
	sc, _ := cat.Get("ci-minimal")
	var world struct {
		Plans []struct {
			Data map[string]any `json:"data"`
		} `json:"plans"`
	}
	require.NoError(t, json.Unmarshal(sc.Data("prozorro"), &world))
	return map[string]any{"data": world.Plans[0].Data}
}

// Cold start: the health endpoint answers 200 within a second of exec.
func TestBinary_HealthyWithinOneSecond(t *testing.T) {
	require.NoError(t, buildErr)
	start := time.Now()
	p := startBinary(t, testEnv(t), "--addr", "127.0.0.1:0", "--memory")
	var status int
	for time.Since(start) < 5*time.Second {
		resp, err := http.Get("http://" + p.addr + "/_sandbox/health")
		if err == nil {
			resp.Body.Close()
			status = resp.StatusCode
			if status == http.StatusOK {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.Equal(t, http.StatusOK, status)
	require.Less(t, time.Since(start), time.Second, "health must answer within 1 s of start")
}

// DESIGN principle 8: a write acknowledged with 2xx survives a crash.
func TestBinary_DataSurvivesSIGKILL(t *testing.T) {
	env := testEnv(t)
	data := filepath.Join(t.TempDir(), "state", "sandbox.db")
	args := []string{"--addr", "127.0.0.1:0", "--data", data, "--scenario", "ci-minimal"}
	p := startBinary(t, env, args...)
	status, _, body := httpDo(t, http.MethodPost, "http://"+p.addr+"/prozorro/api/2.3/plans", planBody(t),
		"Authorization", "Basic YnJva2VyOg==", "X-Sandbox-Tenant", "persist")
	require.Equal(t, http.StatusCreated, status, string(body))
	var created struct {
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &created))
	id := created.Data["id"].(string)
	status, _, _ = httpDo(t, http.MethodPost, "http://"+p.addr+"/_sandbox/clock", map[string]any{"advance": "3h"}, "X-Sandbox-Tenant", "persist")
	require.Equal(t, http.StatusOK, status)

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	require.NotEqual(t, 0, p.wait(t))

	p = startBinary(t, env, args...)
	status, _, got := httpDo(t, http.MethodGet, "http://"+p.addr+"/prozorro/api/2.3/plans/"+id, nil, "X-Sandbox-Tenant", "persist")
	require.Equal(t, http.StatusOK, status, string(got))
	var again struct {
		Data map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got, &again))
	require.Equal(t, created.Data, again.Data)
	status, _, clock := httpDo(t, http.MethodGet, "http://"+p.addr+"/_sandbox/clock", nil, "X-Sandbox-Tenant", "persist")
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"now":"2026-11-24T15:00:00+03:00","frozen":true}`, string(clock), "the tenant clock is stored too")
}

// SIGTERM drains and exits 0 (what `docker stop` sends).
func TestBinary_SIGTERMShutsDownGracefully(t *testing.T) {
	p := startBinary(t, testEnv(t), "--addr", "127.0.0.1:0", "--memory")
	status, _, _ := httpDo(t, http.MethodGet, "http://"+p.addr+"/_sandbox/health", nil)
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, p.wait(t), "stderr: %s", p.stderr)
	require.Contains(t, p.stderr.String(), "sandbox stopped")
}

func TestBinary_Subcommands(t *testing.T) {
	require.NoError(t, buildErr)
	runBin := func(args ...string) (string, string, int) {
		cmd := exec.Command(binPath, args...)
		cmd.Env = testEnv(t)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return out.String(), errb.String(), code
	}

	out, _, code := runBin("version")
	require.Equal(t, 0, code)
	require.Equal(t, "upstream-sandbox "+binVersion+"\n", out)

	out, _, code = runBin("scenarios")
	require.Equal(t, 0, code)
	for _, name := range []string{"empty", "ci-minimal", "demo", "load-100k"} {
		require.Regexp(t, `(?m)^`+regexp.QuoteMeta(name)+`\s+\S`, out)
	}

	out, _, code = runBin("openapi", "prozorro")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, "openapi: "))
	require.Contains(t, out, "/api/2.3/plans:")

	_, stderr, code := runBin("openapi", "nosuch")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "nosuch")

	_, stderr, code = runBin("frobnicate")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `unknown command "frobnicate"`)

	_, _, code = runBin("healthcheck", "--url", "http://127.0.0.1:1/_sandbox/health", "--timeout", "1s")
	require.NotEqual(t, 0, code)
}

// Every flag has an environment variable; flags win.
func TestBinary_Environment(t *testing.T) {
	env := testEnv(t, "SANDBOX_ADDR=127.0.0.1:0", "SANDBOX_MEMORY=true", "SANDBOX_SCENARIO=empty")
	p := startBinary(t, env)
	status, _, body := httpDo(t, http.MethodGet, "http://"+p.addr+"/prozorro/api/2.3/plans", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), `"data": []`, "SANDBOX_SCENARIO=empty")
	// SANDBOX_MEMORY: no data file under the (private) cache dir.
	var home string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	_, err := os.Stat(filepath.Join(home, "cache", "upstream-sandbox", "sandbox.db"))
	require.True(t, os.IsNotExist(err), "SANDBOX_MEMORY=true must not create a data file")

	// Flags win: an unusable SANDBOX_ADDR and another scenario are overridden.
	env = testEnv(t, "SANDBOX_ADDR=256.0.0.1:1", "SANDBOX_MEMORY=true", "SANDBOX_SCENARIO=empty")
	p = startBinary(t, env, "--addr", "127.0.0.1:0", "--scenario", "ci-minimal")
	status, _, _ = httpDo(t, http.MethodGet, "http://"+p.addr+"/prozorro/api/2.3/plans/"+p1, nil)
	require.Equal(t, http.StatusOK, status)

	// The default data file lives under the user's cache dir.
	env = testEnv(t)
	p = startBinary(t, env, "--addr", "127.0.0.1:0")
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "XDG_CACHE_HOME="); ok {
			_, err := os.Stat(filepath.Join(v, "upstream-sandbox", "sandbox.db"))
			require.NoError(t, err)
		}
	}

	// SANDBOX_ADDR also tells healthcheck where to look.
	cmd := exec.Command(binPath, "healthcheck")
	cmd.Env = testEnv(t, "SANDBOX_ADDR="+p.addr)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}

// --listen SERVICE=ADDR serves the service at the root of its own listener.
func TestBinary_ListenServiceAtRoot(t *testing.T) {
	p := startBinary(t, testEnv(t), "--addr", "127.0.0.1:0", "--memory", "--scenario", "ci-minimal", "--listen", "prozorro=127.0.0.1:0")
	re := regexp.MustCompile(`sandbox: prozorro at / on http://(\S+)`)
	var svc string
	timeout := time.After(5 * time.Second)
	for _, line := range p.lines {
		if m := re.FindStringSubmatch(line); m != nil {
			svc = m[1]
		}
	}
	for svc == "" {
		select {
		case line := <-p.stdout:
			if m := re.FindStringSubmatch(line); m != nil {
				svc = m[1]
			}
		case <-timeout:
			t.Fatalf("no service listener line; stdout so far: %q", p.lines)
		}
	}
	require.NotEqual(t, p.addr, svc)

	status, _, body := httpDo(t, http.MethodGet, "http://"+svc+"/api/2.3/plans/"+p1, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	status, hdr, body := httpDo(t, http.MethodPost, "http://"+svc+"/api/2.3/plans", planBody(t), "Authorization", "Basic YnJva2VyOg==")
	require.Equal(t, http.StatusCreated, status, string(body))
	require.True(t, strings.HasPrefix(hdr.Get("Location"), "http://"+svc+"/api/2.3/plans/"), hdr.Get("Location"))
	status, _, _ = httpDo(t, http.MethodGet, "http://"+svc+"/prozorro/api/2.3/plans", nil)
	require.Equal(t, http.StatusNotFound, status, "no prefix on a service listener")
	status, _, _ = httpDo(t, http.MethodGet, "http://"+p.addr+"/prozorro/api/2.3/plans/"+p1, nil)
	require.Equal(t, http.StatusOK, status, "the main listener still serves the prefix")
}
