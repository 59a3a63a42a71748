package insight

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"strings"
)

// NoiseKeyLabel is what the noise key is derived from: the key provider's
// keyed hash of this label (the same HMAC that hashes subject references).
// The label is longer than any subject reference may be
// (candour.MaxSubjectRefBytes), so no subject's hash can ever equal the
// noise key.
var NoiseKeyLabel = "candour/insight-noise-key/v1\x00" + strings.Repeat("-", 160)

// Noise draws the perturbation of published figures. A figure's noise is a
// function of a secret key, the cell's key (the sum of its records' 32-bit
// keys) and what the figure is: the same records always get the same noise,
// however a query is phrased, so repetition averages nothing away; a cell
// that differs by one record gets unrelated noise; and without the key,
// which comes from the key provider and never leaves the server, the noise
// cannot be computed or stripped.
type Noise struct {
	key []byte
	// tables are the cumulative distributions of the noise, by scale.
	tables map[float64][]uint64
}

// Noise scales (the b of a discrete Laplace distribution truncated at
// noiseLimit): chosen so that a cell of 50 records is published within the
// accuracy docs/insight.md states, and measured there.
const (
	sumScale   = 2.2 // satisfaction and effort sums (one answer moves a sum by at most 4)
	yesScale   = 1.5 // felt-safe and felt-believed counts of "yes"
	npsScale   = 2.0 // promoters less detractors
	noiseLimit = 12
)

// NewNoise returns the noise drawn under key, which must be at least 32
// bytes of secret.
func NewNoise(key []byte) (*Noise, error) {
	if len(key) < 32 {
		return nil, errors.New("insight: the noise key must be at least 32 bytes")
	}
	n := &Noise{key: append([]byte(nil), key...), tables: map[float64][]uint64{}}
	for _, b := range []float64{sumScale, yesScale, npsScale} {
		n.tables[b] = laplaceTable(b, noiseLimit)
	}
	return n, nil
}

// laplaceTable returns the cumulative distribution of a discrete Laplace
// distribution of scale b on [-limit, limit], as thresholds on a uniform
// 64-bit number, so that drawing from it is integer comparison only.
func laplaceTable(b float64, limit int) []uint64 {
	weights := make([]float64, 2*limit+1)
	total := 0.0
	for i := range weights {
		weights[i] = math.Exp(-math.Abs(float64(i-limit)) / b)
		total += weights[i]
	}
	out := make([]uint64, len(weights))
	cum := 0.0
	for i, w := range weights {
		cum += w / total
		out[i] = uint64(math.Min(cum, 1) * math.MaxUint64)
	}
	out[len(out)-1] = math.MaxUint64
	return out
}

// uniform returns 64 secret-keyed bits for one figure of one cell.
func (n *Noise) uniform(cellKey uint32, count int, what string) uint64 {
	m := hmac.New(sha256.New, n.key)
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], cellKey)
	binary.BigEndian.PutUint32(b[4:], uint32(count))
	m.Write(b[:])
	m.Write([]byte(what))
	return binary.BigEndian.Uint64(m.Sum(nil))
}

// draw returns the integer noise of scale b for one figure of one cell.
func (n *Noise) draw(cellKey uint32, count int, what string, b float64) int {
	u := n.uniform(cellKey, count, what)
	t := n.tables[b]
	for i, th := range t {
		if u <= th {
			return i - noiseLimit
		}
	}
	return noiseLimit
}

// count returns the perturbation of a count: -2 to +2, zero half the time,
// in the manner of the ONS perturbation table.
func (n *Noise) count(cellKey uint32, count int) int {
	switch v := n.uniform(cellKey, count, "count") % 20; {
	case v == 0:
		return -2
	case v <= 4:
		return -1
	case v <= 14:
		return 0
	case v <= 18:
		return 1
	default:
		return 2
	}
}
