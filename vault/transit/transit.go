// Package transit is Candour's production key provider: HashiCorp Vault's
// transit secrets engine, through github.com/hashicorp/vault/api. The
// key-encryption key lives in Vault and never leaves it: data keys are sent to
// be wrapped and unwrapped in batches. The secret that keys subject hashes is
// held in Vault's key/value store, read once at start and kept only in
// memory, so that hashing a subject reference costs no round trip; it is
// never written to the database.
//
// Guarantees: every call has a short timeout and bounded retries, so a sealed,
// stopped or slow Vault fails a request quickly instead of hanging it; there
// is no fallback to any local key; errors name the operation and Vault's
// status, never key material or plaintext.
package transit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/auth/kubernetes"
)

// Config says where Vault is and how to log in.
type Config struct {
	Address  string // e.g. https://vault.internal:8200
	Token    string // a token with the policy of deploy/vault/candour.hcl, or:
	RoleID   string // AppRole login, with SecretID
	SecretID string
	// KubernetesRole logs in with Vault's Kubernetes auth method, as the
	// pod's service account: the Vault role bound to it, the auth mount
	// (default "kubernetes") and the service account token file (default
	// the one Kubernetes mounts into every pod).
	KubernetesRole      string
	KubernetesMount     string
	KubernetesTokenFile string
	Mount               string        // the transit mount; default "transit"
	KeyName             string        // the key-encryption key; default "candour-kek"
	HMACPath            string        // KV v2 path of the subject-hash secret; default "secret/data/candour/subject-hmac"
	Timeout             time.Duration // per request; default 3s
	Retries             int           // on 5xx and connection errors; default 2
}

// Provider wraps data keys with a Vault transit key. It is safe for
// concurrent use.
type Provider struct {
	client  *api.Client
	cfg     Config
	hmacKey []byte
	healthy atomic.Bool
}

// New connects to Vault and logs in (a token, AppRole when RoleID is set,
// or the Kubernetes auth method when KubernetesRole is).
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.Mount == "" {
		cfg.Mount = "transit"
	}
	if cfg.KeyName == "" {
		cfg.KeyName = "candour-kek"
	}
	if cfg.HMACPath == "" {
		cfg.HMACPath = "secret/data/candour/subject-hmac"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Retries == 0 {
		cfg.Retries = 2
	}
	vc := api.DefaultConfig()
	vc.Address = cfg.Address
	vc.Timeout = cfg.Timeout
	vc.MaxRetries = cfg.Retries
	vc.MinRetryWait, vc.MaxRetryWait = 100*time.Millisecond, 500*time.Millisecond
	client, err := api.NewClient(vc)
	if err != nil {
		return nil, fmt.Errorf("transit: vault client: %w", err)
	}
	client.SetToken(cfg.Token)
	p := &Provider{client: client, cfg: cfg}
	if p.canLogin() {
		if _, err := p.login(ctx); err != nil {
			return nil, err
		}
	}
	if client.Token() == "" {
		return nil, errors.New("transit: give a Vault token, an AppRole role id and secret id, or a Kubernetes role")
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.Timeout*time.Duration(cfg.Retries+1))
	defer cancel()
	sec, err := client.Logical().ReadWithContext(rctx, cfg.HMACPath)
	if err != nil || sec == nil {
		return nil, fmt.Errorf("transit: the subject-hash secret at %s cannot be read: %s", cfg.HMACPath, statusOf(err))
	}
	data, _ := sec.Data["data"].(map[string]any)
	b64, _ := data["key"].(string)
	if p.hmacKey, err = base64.StdEncoding.DecodeString(b64); err != nil || len(p.hmacKey) < 32 {
		return nil, fmt.Errorf("transit: the subject-hash secret at %s must have a field key of at least 32 bytes in base64", cfg.HMACPath)
	}
	p.healthy.Store(true)
	return p, nil
}

// canLogin reports whether the provider can log in again by itself
// (AppRole or Kubernetes), rather than use a token it was given.
func (p *Provider) canLogin() bool { return p.cfg.RoleID != "" || p.cfg.KubernetesRole != "" }

// login logs in with AppRole or the Kubernetes auth method, sets the new
// token and returns its secret (for renewal). Errors never hold the secret
// id or the service account token.
func (p *Provider) login(ctx context.Context) (*api.Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout*time.Duration(p.cfg.Retries+1))
	defer cancel()
	if p.cfg.RoleID == "" {
		mount, file := p.cfg.KubernetesMount, p.cfg.KubernetesTokenFile
		if mount == "" {
			mount = "kubernetes"
		}
		if file == "" {
			file = "/var/run/secrets/kubernetes.io/serviceaccount/token"
		}
		auth, err := kubernetes.NewKubernetesAuth(p.cfg.KubernetesRole, kubernetes.WithMountPath(mount),
			kubernetes.WithServiceAccountTokenPath(file))
		if err != nil {
			return nil, fmt.Errorf("transit: Kubernetes login: the service account token at %s cannot be used", file)
		}
		s, err := auth.Login(ctx, p.client)
		if err != nil || s == nil || s.Auth == nil {
			if _, rerr := os.Stat(file); rerr != nil {
				return nil, fmt.Errorf("transit: Kubernetes login failed: there is no service account token at %s", file)
			}
			return nil, fmt.Errorf("transit: Kubernetes login failed: %v", statusOf(err))
		}
		p.client.SetToken(s.Auth.ClientToken)
		return s, nil
	}
	s, err := p.client.Logical().WriteWithContext(ctx, "auth/approle/login", map[string]any{
		"role_id": p.cfg.RoleID, "secret_id": p.cfg.SecretID})
	if err != nil || s == nil || s.Auth == nil {
		return nil, fmt.Errorf("transit: AppRole login failed: %v", statusOf(err))
	}
	p.client.SetToken(s.Auth.ClientToken)
	return s, nil
}

// KeepToken keeps the Vault token alive until ctx ends. It looks the token
// up at least every interval (more often as its expiry nears); once half of
// its lifetime or less is left it renews it, and when it can no longer
// be renewed far enough (its max TTL is near), has expired or was revoked,
// it logs in again with AppRole, if configured (as soon as a renewal no
// longer gives a whole lifetime). A static token that cannot
// be kept alive is used until it fails; Ping then reports the provider not
// ready. Failures are logged and retried.
func (p *Provider) KeepToken(ctx context.Context, interval time.Duration, logf func(msg string, args ...any)) {
	for {
		wait := interval
		ttl, full, renewable, err := p.tokenTTL(ctx)
		switch {
		case err != nil:
			if !p.canLogin() {
				logf("transit: the Vault token is not valid and there is no AppRole or Kubernetes login", "err", err)
				break
			}
			if _, err := p.login(ctx); err != nil {
				logf("transit: logging in to Vault again failed", "err", err)
			} else {
				logf("transit: logged in to Vault again")
			}
		case ttl <= full/2:
			if renewable {
				if renewed, err := p.renew(ctx, full); err == nil && renewed >= full {
					break // renewed for a whole lifetime; a shorter one means its max TTL is near
				}
			}
			if !p.canLogin() {
				logf("transit: the Vault token cannot be renewed further and there is no AppRole or Kubernetes login")
				break
			}
			if _, err := p.login(ctx); err != nil {
				logf("transit: logging in to Vault again failed", "err", err)
			}
		default:
			wait = min(interval, max((ttl-full/2)/2, 50*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// tokenTTL looks the token up: its time left, its full lifetime (the TTL it
// was created with) and whether it is renewable.
func (p *Provider) tokenTTL(ctx context.Context) (ttl, full time.Duration, renewable bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	s, err := p.client.Auth().Token().LookupSelfWithContext(ctx)
	if err != nil || s == nil {
		return 0, 0, false, fmt.Errorf("transit: token lookup: %s", statusOf(err))
	}
	ttl, _ = s.TokenTTL()
	renewable, _ = s.TokenIsRenewable()
	if n, ok := s.Data["creation_ttl"].(json.Number); ok {
		if secs, err := n.Int64(); err == nil {
			full = time.Duration(secs) * time.Second
		}
	}
	if full <= 0 {
		full = ttl
	}
	if ttl == 0 && full == 0 {
		ttl = time.Duration(1<<62 - 1) // a root-like token that never expires
		full = ttl
	}
	return ttl, full, renewable, nil
}

// renew renews the token by increment and returns its new time left.
func (p *Provider) renew(ctx context.Context, increment time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	s, err := p.client.Auth().Token().RenewSelfWithContext(ctx, int(increment.Seconds()))
	if err != nil || s == nil || s.Auth == nil {
		return 0, fmt.Errorf("transit: token renewal: %s", statusOf(err))
	}
	return time.Duration(s.Auth.LeaseDuration) * time.Second, nil
}

// Healthy reports whether Vault answered the last health check and the last
// call. Callers that cache keys use it to stop using them when Vault is down.
func (p *Provider) Healthy() bool { return p.healthy.Load() }

// Watch checks Vault's health every interval until ctx ends, keeping Healthy
// up to date.
func (p *Provider) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.Ping(ctx)
		}
	}
}

// statusOf describes a Vault error by its status only.
func statusOf(err error) string {
	var re *api.ResponseError
	switch {
	case err == nil:
		return "no answer"
	case errors.As(err, &re):
		return fmt.Sprintf("Vault answered %d", re.StatusCode)
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "Client.Timeout"):
		return "Vault did not answer in time"
	default:
		return "Vault could not be reached"
	}
}

func (p *Provider) write(ctx context.Context, op, path string, data map[string]any) (*api.Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout*time.Duration(p.cfg.Retries+1))
	defer cancel()
	s, err := p.client.Logical().WriteWithContext(ctx, path, data)
	if err != nil || s == nil {
		p.healthy.Store(false)
		return nil, fmt.Errorf("transit: %s: %s", op, statusOf(err))
	}
	return s, nil
}

// batch sends one transit batch and returns the field of each result.
func (p *Provider) batch(ctx context.Context, op, field string, inputs []map[string]any) ([]string, error) {
	if len(inputs) == 0 {
		return nil, nil
	}
	s, err := p.write(ctx, op, p.cfg.Mount+"/"+op+"/"+p.cfg.KeyName, map[string]any{"batch_input": inputs})
	if err != nil {
		return nil, err
	}
	results, ok := s.Data["batch_results"].([]any)
	if !ok || len(results) != len(inputs) {
		return nil, fmt.Errorf("transit: %s: Vault gave %d results for %d inputs", op, len(results), len(inputs))
	}
	out := make([]string, len(results))
	for i, r := range results {
		m, _ := r.(map[string]any)
		if e, _ := m["error"].(string); e != "" {
			return nil, fmt.Errorf("transit: %s: item %d was refused", op, i)
		}
		if out[i], ok = m[field].(string); !ok {
			return nil, fmt.Errorf("transit: %s: item %d has no %s", op, i, field)
		}
	}
	return out, nil
}

// WrapKeys encrypts data keys under the transit key, in one batch.
func (p *Provider) WrapKeys(ctx context.Context, keys [][]byte) ([][]byte, error) {
	in := make([]map[string]any, len(keys))
	for i, k := range keys {
		in[i] = map[string]any{"plaintext": base64.StdEncoding.EncodeToString(k)}
	}
	cts, err := p.batch(ctx, "encrypt", "ciphertext", in)
	return byteSlices(cts), err
}

// ciphertexts sends wrapped keys to op (decrypt or rewrap) in one batch and
// returns field of each result.
func (p *Provider) ciphertexts(ctx context.Context, op, field string, wrapped [][]byte) ([]string, error) {
	in := make([]map[string]any, len(wrapped))
	for i, w := range wrapped {
		in[i] = map[string]any{"ciphertext": string(w)}
	}
	return p.batch(ctx, op, field, in)
}

func byteSlices(ss []string) [][]byte {
	if ss == nil {
		return nil
	}
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// UnwrapKeys decrypts data keys wrapped by WrapKeys, in one batch.
func (p *Provider) UnwrapKeys(ctx context.Context, wrapped [][]byte) ([][]byte, error) {
	pts, err := p.ciphertexts(ctx, "decrypt", "plaintext", wrapped)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(pts))
	for i, pt := range pts {
		if out[i], err = base64.StdEncoding.DecodeString(pt); err != nil {
			return nil, fmt.Errorf("transit: decrypt: item %d is not base64", i)
		}
	}
	return out, nil
}

// SubjectHash returns HMAC-SHA-256 of ref under the subject-hash secret read
// from Vault at start: the same reference always gives the same hash, and
// without the secret the hash reveals nothing about the reference.
func (p *Provider) SubjectHash(_ context.Context, ref string) ([]byte, error) {
	m := hmac.New(sha256.New, p.hmacKey)
	m.Write([]byte(ref))
	return m.Sum(nil), nil
}

// Ping reports whether Vault is reachable, unsealed and active, and the
// service's token is valid: what /readyz shows as "keys".
func (p *Provider) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	h, err := p.client.Sys().HealthWithContext(ctx)
	switch {
	case err != nil:
		err = fmt.Errorf("transit: health: %s", statusOf(err))
	case h.Sealed:
		err = errors.New("transit: Vault is sealed")
	case !h.Initialized:
		err = errors.New("transit: Vault is not initialised")
	default:
		if _, lerr := p.client.Auth().Token().LookupSelfWithContext(ctx); lerr != nil {
			err = fmt.Errorf("transit: the service's Vault token is not valid (expired or revoked): %s", statusOf(lerr))
		}
	}
	p.healthy.Store(err == nil)
	return err
}

// CurrentVersion returns the transit key's latest version, which new keys
// are wrapped under.
func (p *Provider) CurrentVersion(ctx context.Context) (int, error) {
	return p.keyField(ctx, "latest_version")
}

// OldestVersion returns the oldest version Vault still decrypts with
// (min_decryption_version).
func (p *Provider) OldestVersion(ctx context.Context) (int, error) {
	return p.keyField(ctx, "min_decryption_version")
}

func (p *Provider) keyField(ctx context.Context, field string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	s, err := p.client.Logical().ReadWithContext(ctx, p.cfg.Mount+"/keys/"+p.cfg.KeyName)
	if err != nil || s == nil {
		return 0, fmt.Errorf("transit: read key: %s", statusOf(err))
	}
	v, err := toInt(s.Data[field])
	if err != nil {
		return 0, fmt.Errorf("transit: read key %s: %w", field, err)
	}
	return v, nil
}

func toInt(v any) (int, error) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err
	case float64:
		return int(n), nil
	case int:
		return n, nil
	}
	return 0, fmt.Errorf("not a number: %T", v)
}

// KeyVersion returns the transit key version that wrapped a data key.
func (p *Provider) KeyVersion(wrapped []byte) (int, error) {
	rest, ok := strings.CutPrefix(string(wrapped), "vault:v")
	if !ok {
		return 0, errors.New("transit: not a transit ciphertext")
	}
	n, _, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, errors.New("transit: not a transit ciphertext")
	}
	return strconv.Atoi(n)
}

// RotateKEK makes a new version of the transit key current.
func (p *Provider) RotateKEK(ctx context.Context) (int, error) {
	if _, err := p.write(ctx, "rotate", p.cfg.Mount+"/keys/"+p.cfg.KeyName+"/rotate", nil); err != nil {
		return 0, err
	}
	return p.CurrentVersion(ctx)
}

// RewrapKeys wraps data keys again under the latest transit key version,
// inside Vault: the plain keys never leave it.
func (p *Provider) RewrapKeys(ctx context.Context, wrapped [][]byte) ([][]byte, error) {
	cts, err := p.ciphertexts(ctx, "rewrap", "ciphertext", wrapped)
	return byteSlices(cts), err
}

// RetireBelow stops Vault decrypting anything wrapped under versions below v
// (min_decryption_version).
func (p *Provider) RetireBelow(ctx context.Context, v int) error {
	_, err := p.write(ctx, "retire", p.cfg.Mount+"/keys/"+p.cfg.KeyName+"/config", map[string]any{"min_decryption_version": v})
	if err != nil && strings.Contains(err.Error(), "no answer") {
		return nil // the config endpoint answers 204 with no body
	}
	return err
}
