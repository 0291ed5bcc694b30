package router

import (
	"math"
	"math/rand/v2"
	"sort"
)

// linear is a multinomial logistic regression over hashed binary features,
// scaled to unit length so that a long message is not more certain than a
// short one for having more words. It is trained by stochastic gradient
// descent in New and only read after; the same kind of model, with two
// classes, judges urgency, and with four, the language.
type linear struct {
	k    int
	w    []float32 // bucket*k + class
	b    []float32
	temp float64   // softmax temperature, fitted on the validation split
	idf  []float32 // per bucket: log of the inverse document frequency, or nil (binary features)
}

// sample is one training text: its feature buckets, class and weight.
type sample struct {
	x      []uint32
	y      int
	weight float32
}

type trainOptions struct {
	epochs int
	rate   float32
	seed   uint64
	idf    bool // weigh features by rarity (words every message has say little)
}

// idfOf computes log((N+1)/(df+1)) + 1 per bucket over the training texts.
func idfOf(xs []sample) []float32 {
	df := make([]int32, dim)
	for _, s := range xs {
		for _, f := range s.x {
			df[f]++
		}
	}
	idf := make([]float32, dim)
	n := float64(len(xs) + 1)
	for i, d := range df {
		idf[i] = float32(math.Log(n/float64(d+1)) + 1)
	}
	return idf
}

// gradFloor skips updates from samples the model already gets right with
// margin: after the first epochs most do, which makes training fast.
const gradFloor = 0.02

func trainLinear(k int, xs []sample, o trainOptions) *linear {
	m := &linear{k: k, w: make([]float32, dim*k), b: make([]float32, k), temp: 1}
	if o.idf {
		m.idf = idfOf(xs)
	}
	// Each sample's feature values, scaled, computed once: the weight rows
	// are what the passes must spend their memory traffic on.
	vals := make([][]float32, len(xs))
	for i, s := range xs {
		vals[i] = m.values(make([]float32, len(s.x)), s.x)
	}
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(o.seed, 0x6e6574646573))
	z := make([]float64, k)
	acc := make([]float32, k)
	g := make([]float32, k)
	total, step := float32(o.epochs*len(xs)), float32(0)
	for e := 0; e < o.epochs; e++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			s, v := &xs[i], vals[i]
			lr := o.rate * (1 - step/total*0.9)
			step++
			if len(s.x) == 0 {
				continue
			}
			m.logitsOf(s.x, v, acc, z)
			softmax(z, 1)
			z[s.y] -= 1
			worst := 0.0
			for _, d := range z {
				worst = max(worst, math.Abs(d))
			}
			if worst < gradFloor {
				continue
			}
			for c, d := range z {
				g[c] = lr * s.weight * float32(d)
				m.b[c] -= 0.1 * g[c]
			}
			for j, f := range s.x {
				row := m.w[int(f)*k : int(f)*k+k]
				fv := v[j]
				for c := range row {
					row[c] -= g[c] * fv
				}
			}
		}
	}
	return m
}

// values writes the scaled value of each feature of x into dst: its idf
// (or 1), divided by the length of the whole vector.
func (m *linear) values(dst []float32, x []uint32) []float32 {
	var sum float64
	for i, f := range x {
		v := float32(1)
		if m.idf != nil {
			v = m.idf[f]
		}
		dst[i] = v
		sum += float64(v) * float64(v)
	}
	if sum > 0 {
		scale := float32(1 / math.Sqrt(sum))
		for i := range dst {
			dst[i] *= scale
		}
	}
	return dst
}

// logitsOf writes the raw class scores of features x with values v into z.
func (m *linear) logitsOf(x []uint32, v []float32, acc []float32, z []float64) {
	clear(acc)
	for j, f := range x {
		row := m.w[int(f)*m.k : int(f)*m.k+m.k]
		fv := v[j]
		for c, w := range row {
			acc[c] += w * fv
		}
	}
	for c := range z {
		z[c] = float64(acc[c] + m.b[c])
	}
}

// logits writes the raw class scores of features x into z.
func (m *linear) logits(x []uint32, z []float64) {
	m.logitsOf(x, m.values(make([]float32, len(x)), x), make([]float32, m.k), z)
}

// probs returns P(class | text), calibrated by the fitted temperature.
func (m *linear) probs(x []uint32) []float64 {
	z := make([]float64, m.k)
	if len(x) == 0 {
		copy(z, toF64(m.b))
	} else {
		m.logits(x, z)
	}
	softmax(z, m.temp)
	return z
}

func toF64(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func softmax(z []float64, temp float64) {
	best := math.Inf(-1)
	for _, v := range z {
		best = max(best, v)
	}
	var sum float64
	for c, v := range z {
		z[c] = math.Exp((v - best) / temp)
		sum += z[c]
	}
	for c := range z {
		z[c] /= sum
	}
}

// fitTemperature chooses the softmax temperature that gives the validation
// samples the highest likelihood: SGD on separable text data is
// overconfident, and thresholds mean something only on calibrated
// probabilities.
func (m *linear) fitTemperature(val []sample) {
	if len(val) == 0 {
		return
	}
	raw := make([][]float64, len(val))
	for i, s := range val {
		raw[i] = make([]float64, m.k)
		if len(s.x) > 0 {
			m.logits(s.x, raw[i])
		}
	}
	best, bestNLL := 1.0, math.Inf(1)
	z := make([]float64, m.k)
	for t := 0.4; t <= 4.01; t += 0.1 {
		nll := 0.0
		for i, s := range val {
			copy(z, raw[i])
			softmax(z, t)
			nll -= math.Log(max(z[s.y], 1e-12))
		}
		if nll < bestNLL {
			best, bestNLL = t, nll
		}
	}
	m.temp = best
}

// strongest returns the n buckets of x that pushed most towards class c
// (above the mean of the classes), strongest first.
func (m *linear) strongest(x []uint32, c, n int) []uint32 {
	type contrib struct {
		b uint32
		v float32
	}
	vals := m.values(make([]float32, len(x)), x)
	var cs []contrib
	for j, f := range x {
		row := m.w[int(f)*m.k : int(f)*m.k+m.k]
		var mean float32
		for _, w := range row {
			mean += w
		}
		if v := (row[c] - mean/float32(m.k)) * vals[j]; v > 0 {
			cs = append(cs, contrib{f, v})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].v > cs[j].v })
	out := make([]uint32, 0, n)
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, c.b)
	}
	return out
}
