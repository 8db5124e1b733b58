package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/upstream-sandbox/sandbox/openapi"
	"github.com/upstream-sandbox/sandbox/sandbox"
	"github.com/upstream-sandbox/sandbox/scenarios"
	"github.com/upstream-sandbox/sandbox/store"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

const usage = `Usage: sandbox [serve] [flags] | sandbox version | sandbox scenarios | sandbox openapi SERVICE
       sandbox export --data FILE --tenant NAME [--out DUMP] | sandbox import --data FILE --tenant NAME DUMP

Every flag can also be set by an environment variable SANDBOX_<FLAG>
(e.g. SANDBOX_ADDR, SANDBOX_JOURNAL_SIZE; SANDBOX_LISTEN takes a comma list).
Flags win over the environment.
`

// run is the whole program, callable from tests: args[0] is the program name.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "upstream-sandbox", version)
		return nil
	case "scenarios":
		cat, err := scenarios.Load()
		if err != nil {
			return err
		}
		for _, sc := range cat.List() {
			fmt.Fprintf(stdout, "%-12s %s\n", sc.Name, sc.Description)
		}
		return nil
	case "openapi":
		if len(rest) != 1 {
			return fmt.Errorf("usage: sandbox openapi SERVICE (one of %s)", strings.Join(openapi.Services(), ", "))
		}
		src, err := openapi.Source(rest[0])
		if err != nil {
			return err
		}
		_, err = stdout.Write(src)
		return err
	case "healthcheck":
		return healthcheck(ctx, rest, getenv, stdout, stderr)
	case "export", "import":
		return transfer(cmd, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

// options are the serve flags.
type options struct {
	addr        string
	listen      listenFlag
	data        string
	memory      bool
	scenario    string
	seed        uint64
	cors        bool
	logLevel    string
	journalSize int
	clock       string
}

type listenFlag map[string]string

func (l listenFlag) String() string {
	parts := make([]string, 0, len(l))
	for k, v := range l {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (l listenFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		svc, addr, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || svc == "" || addr == "" {
			return fmt.Errorf("want SERVICE=ADDR, got %q", part)
		}
		l[svc] = addr
	}
	return nil
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{listen: listenFlag{}}
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "main listener: every service under /{service}, control plane under /_sandbox/")
	fs.Var(o.listen, "listen", "SERVICE=ADDR: also serve one service at the root path (repeatable)")
	fs.StringVar(&o.data, "data", "", "bbolt data file (default: <user cache dir>/upstream-sandbox/sandbox.db); \":memory:\" = --memory")
	fs.BoolVar(&o.memory, "memory", false, "keep all state in memory (no file; same semantics)")
	fs.StringVar(&o.scenario, "scenario", "demo", "default scenario of new tenants")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of every generated value")
	fs.BoolVar(&o.cors, "cors", true, "answer CORS preflights and allow any origin")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.IntVar(&o.journalSize, "journal-size", 1000, "requests the journal keeps")
	fs.StringVar(&o.clock, "clock", "", "RFC 3339 start of new tenants' clocks (frozen) unless their scenario pins one")
	// The environment fills defaults; flags given on the command line win.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SANDBOX_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.journalSize < 0 {
		return nil, errors.New("--journal-size must be ≥ 0")
	}
	return o, nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func openStore(o *options) (store.Store, string, error) {
	if o.memory || o.data == ":memory:" {
		return store.NewMemory(), ":memory:", nil
	}
	path := o.data
	if path == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, "", fmt.Errorf("no --data given and no user cache dir: %w", err)
		}
		path = filepath.Join(dir, "upstream-sandbox", "sandbox.db")
	}
	s, err := store.OpenBolt(path)
	return s, path, err
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	logger, err := newLogger(o.logLevel, stderr)
	if err != nil {
		return err
	}
	var pin *time.Time
	if o.clock != "" {
		t, err := time.Parse(time.RFC3339Nano, o.clock)
		if err != nil {
			return fmt.Errorf("--clock: %w", err)
		}
		pin = &t
	}
	st, where, err := openStore(o)
	if err != nil {
		return err
	}
	defer st.Close()
	emus, err := sandbox.DefaultEmulators()
	if err != nil {
		return err
	}
	srv, err := sandbox.NewServer(sandbox.Config{
		Store: st, Emulators: emus, Scenario: o.scenario, Seed: o.seed, Clock: pin,
		CORS: o.cors, JournalSize: o.journalSize, Logger: logger, Version: version,
	})
	if err != nil {
		return err
	}
	servers := []*http.Server{}
	listeners := []net.Listener{}
	serving := false
	defer func() {
		// A listener opened before a later one failed must not stay bound
		// (run is also called in-process, by tests).
		if !serving {
			for _, ln := range listeners {
				_ = ln.Close()
			}
		}
	}()
	open := func(addr string, h http.Handler, what string) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen %s (%s): %w", addr, what, err)
		}
		listeners = append(listeners, ln)
		servers = append(servers, &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)})
		fmt.Fprintf(stdout, "sandbox: %s on http://%s\n", what, ln.Addr())
		return nil
	}
	if err := open(o.addr, srv.Handler(), "listening"); err != nil {
		return err
	}
	for svc, addr := range o.listen {
		h, ok := srv.ServiceHandler(svc)
		if !ok {
			return fmt.Errorf("--listen: unknown service %q (have %s)", svc, strings.Join(srv.Services(), ", "))
		}
		if err := open(addr, h, svc+" at /"); err != nil {
			return err
		}
	}
	logger.Info("sandbox started", "data", where, "scenario", o.scenario, "seed", strconv.FormatUint(o.seed, 10))
	serving = true
	errc := make(chan error, len(servers))
	for i, hs := range servers {
		go func(hs *http.Server, ln net.Listener) { errc <- hs.Serve(ln) }(hs, listeners[i])
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, hs := range servers {
		_ = hs.Shutdown(shutdown)
	}
	logger.Info("sandbox stopped")
	return nil
}

// healthcheck is the image's HEALTHCHECK (the image is FROM scratch: no curl):
// it asks a running server's health endpoint and fails unless it answers 200.
// The address comes from --url, else SANDBOX_ADDR, else the default --addr; a
// wildcard listen host is dialled on loopback. Deliberately not in the usage.
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", "", "health URL (default http://<SANDBOX_ADDR or 127.0.0.1:8080>/_sandbox/health)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected arguments %q", fs.Args())
	}
	if *target == "" {
		*target = "http://" + dialAddr(getenv("SANDBOX_ADDR")) + "/_sandbox/health"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	// No proxy from the environment: the server is local.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", *target, resp.Status)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// dialAddr turns a listen address into one a local client can dial: no
// address is the default --addr, a wildcard or empty host is loopback.
func dialAddr(listen string) string {
	if listen == "" {
		return "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// transfer is `sandbox export` / `sandbox import`: one tenant of a data file to
// or from a dump (the format of GET /_sandbox/export), for preparing demo
// environments offline. The server must not be running on that file (bbolt
// locks it).
func transfer(cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", getenv("SANDBOX_DATA"), "bbolt data file")
	tenant := fs.String("tenant", "default", "tenant to "+cmd)
	out := fs.String("out", "", "export: write the dump here instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return fmt.Errorf("%s: --data FILE is required", cmd)
	}
	if !store.ValidTenant(*tenant) {
		return fmt.Errorf("%s: invalid tenant name %q", cmd, *tenant)
	}
	if cmd == "import" && fs.NArg() != 1 {
		return fmt.Errorf("usage: sandbox import --data FILE --tenant NAME DUMP")
	}
	if cmd == "export" && fs.NArg() != 0 {
		return fmt.Errorf("usage: sandbox export --data FILE --tenant NAME [--out DUMP]")
	}
	if cmd == "export" {
		if _, err := os.Stat(*data); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	st, err := store.OpenBolt(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	if cmd == "import" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		if err := st.Import(*tenant, f); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		fmt.Fprintf(stdout, "imported tenant %s into %s\n", *tenant, *data)
		return nil
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		w = f
	}
	return st.Export(*tenant, w)
}
