// Package pgtest gives tests a real PostgreSQL: it finds a server
// (DATABASE_URL, else the local server on 127.0.0.1:5432, else a throwaway
// cluster it starts from the machine's PostgreSQL binaries) and gives each
// test a database of its own, migrated by candour_owner, for candour_app.
//
// It is test-only code. It keeps one process-wide value: the throwaway
// cluster, started at most once per test binary and stopped by Main.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/candour-vault/candour/postgres"
)

// Password is the password the helper gives Candour's roles, so that the
// helper also works against servers that require one.
const Password = "candour-test"

var shared struct {
	once    sync.Once
	url     string
	cluster *Cluster
	err     error
}

// Main runs the tests of a package and stops a cluster the helper started.
// Use it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.cluster != nil {
		shared.cluster.Stop()
		os.RemoveAll(shared.cluster.dir)
	}
	return code
}

// ServerURL returns a superuser URL of a running PostgreSQL server.
func ServerURL(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		if u := os.Getenv("DATABASE_URL"); u != "" {
			shared.url = u
			return
		}
		local := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		if reachable(local) {
			shared.url = local
			return
		}
		c, err := startCluster(false)
		if err != nil {
			shared.err = fmt.Errorf("no PostgreSQL at DATABASE_URL or 127.0.0.1:5432, and none could be started: %w", err)
			return
		}
		shared.cluster, shared.url = c, c.URL
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.url
}

func reachable(u string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return false
	}
	conn.Close(ctx)
	return true
}

// Database is a fresh database for one test.
type Database struct {
	Name     string
	Super    string // superuser URL of the database
	OwnerURL string // as candour_owner, which owns the schema
	AppURL   string // as candour_app, what the server connects as
}

// NewDatabase creates an empty database owned by candour_owner, with the
// roles in place, and drops it when the test ends. Migrate it with Migrate.
func NewDatabase(t testing.TB) Database {
	t.Helper()
	return newDatabaseOn(t, ServerURL(t))
}

// Connect opens a connection to url for the test, closed when it ends.
func Connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// NewMigratedDatabase is NewDatabase followed by every migration.
func NewMigratedDatabase(t testing.TB) Database {
	t.Helper()
	db := NewDatabase(t)
	if _, err := postgres.Migrate(context.Background(), db.OwnerURL); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// OpenMigrated returns a store connected as candour_app to a fresh, migrated
// database (NewMigratedDatabase), closed when the test ends, and the database.
func OpenMigrated(t testing.TB) (*postgres.DB, Database) {
	t.Helper()
	d := NewMigratedDatabase(t)
	db, err := postgres.Open(context.Background(), d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db, d
}

func newDatabaseOn(t testing.TB, server string) Database {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if err := ensureRoles(ctx, conn); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "candour_t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" OWNER candour_owner"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), server)
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return Database{
		Name:     name,
		Super:    withUser(server, "", name),
		OwnerURL: withUser(server, "candour_owner", name),
		AppURL:   withUser(server, "candour_app", name),
	}
}

// withUser returns server's URL for database name, as user (or as the same
// user when user is "").
func withUser(server, user, name string) string {
	u, err := url.Parse(server)
	if err != nil {
		panic(err) // a URL the helper already connected with
	}
	if user != "" {
		u.User = url.UserPassword(user, Password)
	}
	u.Path = "/" + name
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// ensureRoles creates Candour's roles if they are missing, tolerating another
// test process creating them at the same moment.
func ensureRoles(ctx context.Context, conn *pgx.Conn) error {
	for _, stmt := range []string{
		"CREATE ROLE candour_owner",
		"CREATE ROLE candour_app",
	} {
		_, err := conn.Exec(ctx, stmt)
		var pe *pgconn.PgError
		if err != nil && !(errors.As(err, &pe) && (pe.Code == "42710" || pe.Code == "23505")) {
			return fmt.Errorf("create roles: %w", err)
		}
	}
	// The roles may exist already (made by candour dev without login).
	for _, stmt := range []string{
		"ALTER ROLE candour_owner LOGIN PASSWORD '" + Password + "'",
		"ALTER ROLE candour_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD '" + Password + "'",
	} {
		var err error
		for try := 0; try < 10; try++ { // parallel test binaries race on pg_authid
			if _, err = conn.Exec(ctx, stmt); err == nil {
				break
			}
			time.Sleep(time.Duration(50*(try+1)) * time.Millisecond)
		}
		if err != nil {
			return fmt.Errorf("set up roles: %w", err)
		}
	}
	return nil
}

// Cluster is a PostgreSQL server this helper started in a directory of its
// own, on a free loopback port.
type Cluster struct {
	URL     string // superuser URL of the postgres database
	dir     string
	port    int
	bin     string
	asUser  string // run the server as this user (root may not run it)
	durable bool
	cmd     *exec.Cmd
}

// StartCluster starts a private, durable (fsync on) cluster for tests that
// stop and start the server, and removes it when the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := startCluster(true)
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		c.Stop()
		os.RemoveAll(c.dir)
	})
	return c
}

// NewDatabase creates a test database on this cluster.
func (c *Cluster) NewDatabase(t testing.TB) Database {
	t.Helper()
	return newDatabaseOn(t, c.URL)
}

func startCluster(durable bool) (*Cluster, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return nil, errors.New("no initdb under /usr/lib/postgresql (install Debian's postgresql package)")
	}
	c := &Cluster{bin: filepath.Dir(bins[len(bins)-1]), durable: durable}
	dir, err := os.MkdirTemp("", "candour-pg-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root and there is no postgres user to run the server as")
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		c.asUser = "postgres"
	}
	if out, err := c.command(filepath.Join(c.bin, "initdb"), "-D", filepath.Join(dir, "data"),
		"-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c, c.Start()
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// Start starts the server (again) and waits up to 30 s until it answers.
func (c *Cluster) Start() error {
	args := []string{"-D", filepath.Join(c.dir, "data"), "-p", strconv.Itoa(c.port), "-k", c.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"}
	if !c.durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	c.cmd = c.command(filepath.Join(c.bin, "postgres"), args...)
	logf, err := os.Create(filepath.Join(c.dir, "server.log"))
	if err == nil {
		c.cmd.Stdout, c.cmd.Stderr = logf, logf
	}
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if reachable(c.URL) {
			return nil
		}
	}
	c.Stop()
	return errors.New("postgres did not answer within 30s")
}

// Stop shuts the server down (fast shutdown: open connections are cut) and
// waits for it to exit.
func (c *Cluster) Stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	if c.asUser != "" {
		// runuser forwards SIGTERM, not SIGINT; pg_ctl says fast explicitly.
		c.command(filepath.Join(c.bin, "pg_ctl"), "stop", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w").Run()
	} else {
		c.cmd.Process.Signal(os.Interrupt)
	}
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	c.cmd = nil
}
