package router

import (
	"math"
	"math/rand/v2"
	"sort"
)

// vector is a text's features: distinct buckets and their values, scaled so
// the vector has unit length (a long message is not more certain than a
// short one for having more words).
type vector struct {
	x []uint32
	v []float32
}

// idfTable weighs a bucket by its rarity in the training texts,
// log((N+1)/(df+1)) + 1: words every message has say little. The topic and
// urgency models share one table, so Route computes a text's values once.
type idfTable []float32

func newIDF(texts [][]uint32) idfTable {
	df := make([]int32, dim)
	for _, x := range texts {
		for _, f := range x {
			df[f]++
		}
	}
	idf := make(idfTable, dim)
	n := float64(len(texts) + 1)
	for i, d := range df {
		idf[i] = float32(math.Log(n/float64(d+1)) + 1)
	}
	return idf
}

// vector gives buckets x their values; a nil table gives every feature the
// same value.
func (t idfTable) vector(x []uint32) vector {
	v := make([]float32, len(x))
	var sum float64
	for i, f := range x {
		v[i] = 1
		if t != nil {
			v[i] = t[f]
		}
		sum += float64(v[i]) * float64(v[i])
	}
	if sum > 0 {
		scale := float32(1 / math.Sqrt(sum))
		for i := range v {
			v[i] *= scale
		}
	}
	return vector{x, v}
}

// linear is a multinomial logistic regression over hashed features. It is
// trained by stochastic gradient descent in New and only read after; the
// same kind of model, with two classes, judges urgency, and with four, the
// language.
type linear struct {
	k    int
	w    []float32 // bucket*k + class
	b    []float32
	temp float64 // softmax temperature, fitted on the validation split
}

// sample is one training text: its features, class and weight.
type sample struct {
	vector
	y      int
	weight float32
}

type trainOptions struct {
	epochs int
	rate   float32
	seed   uint64
}

// gradFloor skips updates from samples the model already gets right with
// margin: after the first epochs most do, which makes training fast.
const gradFloor = 0.02

func trainLinear(k int, xs []sample, o trainOptions) *linear {
	m := &linear{k: k, w: make([]float32, dim*k), b: make([]float32, k), temp: 1}
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
			s := &xs[i]
			lr := o.rate * (1 - step/total*0.9)
			step++
			if len(s.x) == 0 {
				continue
			}
			m.logits(s.vector, acc, z)
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
				fv := s.v[j]
				for c := range row {
					row[c] -= g[c] * fv
				}
			}
		}
	}
	return m
}

// logits writes the raw class scores of vector u into z (acc: scratch).
func (m *linear) logits(u vector, acc []float32, z []float64) {
	clear(acc)
	for j, f := range u.x {
		row := m.w[int(f)*m.k : int(f)*m.k+m.k]
		fv := u.v[j]
		for c, w := range row {
			acc[c] += w * fv
		}
	}
	for c := range z {
		z[c] = float64(acc[c] + m.b[c])
	}
}

// probs returns P(class | text), calibrated by the fitted temperature.
func (m *linear) probs(u vector) []float64 {
	z := make([]float64, m.k)
	m.logits(u, make([]float32, m.k), z)
	softmax(z, m.temp)
	return z
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
	acc := make([]float32, m.k)
	for i, s := range val {
		raw[i] = make([]float64, m.k)
		m.logits(s.vector, acc, raw[i])
	}
	best, bestNLL := 1.0, math.Inf(1)
	z := make([]float64, m.k)
	for t := 0.3; t <= 4.01; t += 0.1 {
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

// strongest returns the n buckets of u that pushed most towards class c
// (above the mean of the classes), strongest first.
func (m *linear) strongest(u vector, c, n int) []uint32 {
	type contrib struct {
		b uint32
		v float32
	}
	var cs []contrib
	for j, f := range u.x {
		row := m.w[int(f)*m.k : int(f)*m.k+m.k]
		var sum float32
		for _, w := range row {
			sum += w
		}
		if v := (row[c] - sum/float32(m.k)) * u.v[j]; v > 0 {
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
