package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL server owned by a test process.
type Server struct {
	dir     string // temp dir: data/, socket, log
	bin     string // directory holding initdb and pg_ctl
	port    int
	cred    *syscall.Credential // non-nil when running as root
	stopped bool
	opts    string // the server options it was started with (Restart)
}

// User is the superuser name of the test cluster.
const User = "postgres"

// ErrNoBinaries is returned by Start when initdb/pg_ctl cannot be found.
var ErrNoBinaries = errors.New("pgtest: PostgreSQL server binaries (initdb, pg_ctl) not found in PATH or /usr/lib/postgresql/*/bin")

// FindBinDir returns the directory that holds initdb and pg_ctl: the one of
// initdb in PATH (symlinks resolved), else the newest /usr/lib/postgresql/*/bin.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dir := filepath.Dir(p)
		if fileExists(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if fileExists(filepath.Join(d, "initdb")) && fileExists(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Options changes how Start configures the server. The zero value is the
// plain test server.
type Options struct {
	// Preload lists libraries for shared_preload_libraries, e.g.
	// "pg_stat_statements". They load at server start only.
	Preload []string
	// Settings are extra server settings (name = value) passed with -c.
	Settings map[string]string
	// TLS turns on ssl with a fresh self-signed certificate for 127.0.0.1
	// and localhost; CAFile returns it for sslrootcert.
	TLS bool
}

// key identifies servers started with equal options.
func (o Options) key() string {
	var b strings.Builder
	b.WriteString(strings.Join(o.Preload, ","))
	if o.TLS {
		b.WriteString(";tls")
	}
	names := make([]string, 0, len(o.Settings))
	for k := range o.Settings {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		b.WriteString(";" + k + "=" + o.Settings[k])
	}
	return b.String()
}

func (o Options) serverArgs() []string {
	var args []string
	if len(o.Preload) > 0 {
		args = append(args, "-c", "shared_preload_libraries="+strings.Join(o.Preload, ","))
	}
	if o.TLS {
		args = append(args, "-c", "ssl=on")
	}
	names := make([]string, 0, len(o.Settings))
	for k := range o.Settings {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		args = append(args, "-c", k+"="+o.Settings[k])
	}
	return args
}

// Start creates a cluster in a new temp dir and starts it on a free loopback
// port. The caller must Stop it.
func Start(ctx context.Context) (*Server, error) { return StartWith(ctx, Options{}) }

// StartWith is Start with options: preloaded libraries and extra settings.
// Values must not contain spaces.
func StartWith(ctx context.Context, o Options) (*Server, error) {
	for _, v := range o.serverArgs() {
		if strings.ContainsAny(v, " \t'\"") {
			return nil, fmt.Errorf("pgtest: server setting %q must not contain spaces or quotes", v)
		}
	}
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	base := os.TempDir()
	if os.Geteuid() == 0 && !traversable(base) {
		base = "/tmp" // the postgres user must reach the data directory
	}
	reapOrphans(ctx, base, bin)
	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	// The owner file lets a later Start stop this server if the test
	// process dies without calling Stop.
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: running as root needs a \"postgres\" user to run the server: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: chown %s: %w", dir, err)
		}
	}
	if err := s.run(ctx, "initdb", "-D", s.dataDir(), "-U", User, "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		s.cleanup()
		return nil, err
	}
	if o.TLS {
		if err := s.writeCertificate(); err != nil {
			s.cleanup()
			return nil, err
		}
	}
	// A free port can be taken between probing and binding; retry a few times.
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			s.cleanup()
			return nil, err
		}
		opts := strings.Join([]string{
			"-p", strconv.Itoa(s.port), "-k", s.dir,
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
			"-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=64MB",
		}, " ")
		if extra := o.serverArgs(); len(extra) > 0 {
			opts += " " + strings.Join(extra, " ")
		}
		err = s.run(ctx, "pg_ctl", "start", "-w", "-t", "30", "-D", s.dataDir(),
			"-l", filepath.Join(s.dir, "postgres.log"), "-o", opts)
		if err == nil {
			s.opts = opts
			return s, nil
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			s.cleanup()
			return nil, fmt.Errorf("%w\nserver log:\n%s", err, tail(log, 2000))
		}
	}
}

const (
	dirPrefix = "fbctl-pgtest-"
	ownerFile = "owner.pid"
)

// traversable reports whether every directory on the path is world-executable.
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// reapOrphans stops servers whose owning test process is gone (it was
// killed before Stop) and removes their directories.
func reapOrphans(ctx context.Context, base, bin string) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		orphan := &Server{dir: dir, bin: bin}
		if st, err := os.Stat(dir); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && sys.Uid != 0 {
				orphan.cred = &syscall.Credential{Uid: sys.Uid, Gid: sys.Gid}
			}
		}
		if fileExists(filepath.Join(orphan.dataDir(), "postmaster.pid")) {
			_ = orphan.run(ctx, "pg_ctl", "stop", "-w", "-m", "immediate", "-D", orphan.dataDir())
		}
		orphan.cleanup()
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

// Port returns the TCP port on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// DSN returns a postgres:// URL for database db on this server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", User, s.port, db)
}

// CreateDatabase creates an empty database named name.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return nil
}

// CreateExtension runs CREATE EXTENSION IF NOT EXISTS name in database db
// (a library it needs must be in Options.Preload).
func (s *Server) CreateExtension(ctx context.Context, db, name string) error {
	conn, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("pgtest: create extension %s in %s: %w", name, db, err)
	}
	return nil
}

// Stop stops the server immediately and removes its directory.
func (s *Server) Stop() error {
	if s == nil || s.stopped {
		return nil
	}
	s.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.run(ctx, "pg_ctl", "stop", "-w", "-m", "immediate", "-D", s.dataDir())
	s.cleanup()
	return err
}

func (s *Server) cleanup() { os.RemoveAll(s.dir) }

func (s *Server) run(ctx context.Context, tool string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, tool), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
		cmd.Env = append(cmd.Env, "HOME="+s.dir, "USER=postgres", "LOGNAME=postgres")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s %s: %w\n%s", tool, args[0], err, tail(out.Bytes(), 2000))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
