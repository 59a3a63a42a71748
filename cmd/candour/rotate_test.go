package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/vault/keyring"
	"github.com/candour-vault/candour/vault/transit/vaulttest"
)

// load keeps submitting and reading through a server until stopped, and
// counts every answer that is not a success.
type load struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	failures atomic.Int64
	done     atomic.Int64
	mu       sync.Mutex
	ids      []string
}

func startLoad(t *testing.T, url, token string) *load {
	l := &load{stop: make(chan struct{})}
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 2 {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; i < 100000; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				s := &submission{key: fmt.Sprintf("load-%d-%d", w, i), comment: fmt.Sprintf("Better than expected %06d", w*100000+i)}
				st, rc := post(client, url, token, s)
				if st != 201 {
					l.failures.Add(1)
					continue
				}
				req, _ := http.NewRequest("GET", url+"/v1/feedback/"+rc.ID, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Candour-Purpose", "case_management")
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 {
					l.failures.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
				l.mu.Lock()
				l.ids = append(l.ids, rc.ID)
				l.mu.Unlock()
				l.done.Add(1)
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *load) finish() { close(l.stop); l.wg.Wait() }

// TestKeysRotateKeyringWhileServing rotates the keyring's key-encryption key
// under a running candour dev that keeps taking submissions and reads.
func TestKeysRotateKeyringWhileServing(t *testing.T) {
	s := startDevArgs(t, "--seed", "40", "--key-pool-max-age", "1s")
	l := startLoad(t, s.url, s.tokens["CASEWORKER"])
	time.Sleep(300 * time.Millisecond)
	out, errOut, code := runCLI(t, "keys", "rotate", "--database", filepath.Join(s.dir, "candour.db"),
		"--key-file", filepath.Join(s.dir, "keyring.json"), "--batch", "7", "--grace", "2s", "--operator", "ops-bob")
	time.Sleep(300 * time.Millisecond)
	l.finish()
	if code != 0 || !strings.Contains(out, "Rotated the key-encryption key to version 2") || !strings.Contains(out, "versions below 2 are retired") {
		t.Fatalf("keys rotate: exit %d\n%s\n%s", code, out, errOut)
	}
	checkOperatorEntry(t, filepath.Join(s.dir, "candour.db"), candour.ActionKeysRotate, "ops-bob")
	if f := l.failures.Load(); f != 0 || l.done.Load() < 10 {
		t.Errorf("%d failures and %d successes under load during the rotation; want none and some", f, l.done.Load())
	}
	ctx := context.Background()
	k, err := keyring.Load(filepath.Join(s.dir, "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := k.OldestVersion(ctx); v != 2 {
		t.Errorf("oldest KEK version %d after the rotation, want 2 (version 1 retired)", v)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "candour.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, wrapped FROM data_keys`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id string
		var w []byte
		rows.Scan(&id, &w)
		if _, err := k.UnwrapKeys(ctx, [][]byte{w}); err != nil || w[0] != 2 {
			t.Errorf("data key %s: version %d, unwrap %v", id, w[0], err)
		}
		n++
	}
	rows.Close()
	if n < 40 {
		t.Errorf("%d data keys checked, want at least the 40 seeded", n)
	}
	// Everything written under load, before, during and after, reads back.
	for _, id := range l.ids {
		if st, body := call(t, "GET", s.url+"/v1/feedback/"+id, s.tokens["CASEWORKER"], "case_management", ""); st != 200 {
			t.Fatalf("record %s after the rotation: %d %s", id, st, body)
		}
	}
}

// TestKeysRotateResumes kills a rotation while it waits to retire the old
// version, and runs it again: it finishes instead of rotating twice.
func TestKeysRotateResumes(t *testing.T) {
	s := startDevArgs(t, "--seed", "15")
	s.cmd.Process.Signal(syscall.SIGINT)
	s.cmd.Wait()
	args := []string{"keys", "rotate", "--database", filepath.Join(s.dir, "candour.db"), "--key-file", filepath.Join(s.dir, "keyring.json")}
	cmd := exec.Command(binary, append(args, "--grace", "1m")...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	waiting := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Waiting") {
			waiting = true
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if !waiting {
		t.Fatal("the first rotation never reached its grace wait")
	}
	stdout, stderr, code := runCLI(t, append(args, "--grace", "0s")...)
	if code != 0 || !strings.Contains(stdout, "Resuming: every data key is under version 2") || strings.Contains(stdout, "Rotated") {
		t.Fatalf("second run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	k, _ := keyring.Load(filepath.Join(s.dir, "keyring.json"))
	if cur, _ := k.CurrentVersion(context.Background()); cur != 2 {
		t.Errorf("current version %d, want 2: the resumed run must not rotate again", cur)
	}
	if old, _ := k.OldestVersion(context.Background()); old != 2 {
		t.Errorf("oldest version %d, want 2", old)
	}
}

// TestKeysRotateTransit rotates the Vault transit key under a running
// candour server and retires the old version in Vault.
func TestKeysRotateTransit(t *testing.T) {
	v := vaulttest.Start(t)
	db := pgtest.NewMigratedDatabase(t)
	f := newFleet(t, db)
	r := f.start(t, "127.0.0.1:0", "--keys", "transit", "--vault-addr", v.Addr, "--vault-token", v.ServiceToken, "--key-pool-max-age", "1s")
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")
	l := startLoad(t, r.url, cw)
	time.Sleep(500 * time.Millisecond)
	out, errOut, code := runCLI(t, "keys", "rotate", "--database", db.AppURL, "--keys", "transit",
		"--vault-addr", v.Addr, "--vault-token", v.RootToken, "--batch", "5", "--grace", "2s")
	time.Sleep(300 * time.Millisecond)
	l.finish()
	if code != 0 || !strings.Contains(out, "versions below 2 are retired") {
		t.Fatalf("keys rotate: exit %d\n%s\n%s", code, out, errOut)
	}
	if fails := l.failures.Load(); fails != 0 {
		t.Errorf("%d failures under load during the rotation", fails)
	}
	key, err := v.Root().Logical().Read("transit/keys/candour-kek")
	if err != nil {
		t.Fatal(err)
	}
	if mdv, _ := key.Data["min_decryption_version"].(json.Number).Int64(); mdv != 2 {
		t.Errorf("min_decryption_version %d, want 2", mdv)
	}
	if old := queryInt(t, db.Super, `SELECT count(*) FROM data_keys WHERE convert_from(wrapped, 'UTF8') NOT LIKE 'vault:v2:%'`); old != 0 {
		t.Errorf("%d data keys are not under version 2", old)
	}
	for _, id := range l.ids {
		req, _ := http.NewRequest("GET", r.url+"/v1/feedback/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Candour-Purpose", "case_management")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("record %s after the rotation: %d", id, resp.StatusCode)
		}
	}
}
