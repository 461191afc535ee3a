package benchmarks

import (
	"hash/fnv"
	"math/rand/v2"
	"sync"
)

// fates gives the k-th draw for logical request id the same random source
// under every policy: a policy's third attempt of request 12 meets the same
// fault as another policy's, whatever happened to the other requests in
// between. It turns the comparison of policies into a paired one. It is
// safe for concurrent use.
type fates struct {
	seed uint64
	mu   sync.Mutex
	seen map[string]uint64
}

func newFates(seed int64) *fates {
	return &fates{seed: uint64(seed), seen: map[string]uint64{}}
}

// next returns the source for the next draw of request id.
func (f *fates) next(id string) *rand.Rand {
	f.mu.Lock()
	k := f.seen[id]
	f.seen[id]++
	f.mu.Unlock()
	h := fnv.New64a()
	h.Write([]byte(id))
	return rand.New(rand.NewPCG(f.seed^h.Sum64(), k))
}
