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
	temp float64 // softmax temperature, fitted on the validation split
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
			scale := float32(1 / math.Sqrt(float64(len(s.x))))
			m.logits(s.x, scale, z)
			softmax(z, 1)
			z[s.y] -= 1
			worst := 0.0
			for _, v := range z {
				worst = max(worst, math.Abs(v))
			}
			if worst < gradFloor {
				continue
			}
			for c, v := range z {
				g[c] = lr * s.weight * float32(v)
				m.b[c] -= 0.1 * g[c]
				g[c] *= scale
			}
			for _, f := range s.x {
				row := m.w[int(f)*k : int(f)*k+k]
				for c := range row {
					row[c] -= g[c]
				}
			}
		}
	}
	return m
}

// logits writes the raw class scores of features x into z.
func (m *linear) logits(x []uint32, scale float32, z []float64) {
	acc := make([]float32, m.k)
	for _, f := range x {
		row := m.w[int(f)*m.k : int(f)*m.k+m.k]
		for c, v := range row {
			acc[c] += v
		}
	}
	for c := range z {
		z[c] = float64(acc[c]*scale + m.b[c])
	}
}

// probs returns P(class | text), calibrated by the fitted temperature.
func (m *linear) probs(x []uint32) []float64 {
	z := make([]float64, m.k)
	if len(x) == 0 {
		copy(z, toF64(m.b))
	} else {
		m.logits(x, float32(1/math.Sqrt(float64(len(x)))), z)
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
			m.logits(s.x, float32(1/math.Sqrt(float64(len(s.x)))), raw[i])
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

// strongest returns the n features of x that pushed most towards class c,
// by name, strongest first.
func (m *linear) strongest(x []uint32, c, n int, names map[uint32]string) []string {
	type contrib struct {
		name string
		v    float32
	}
	var cs []contrib
	for _, f := range x {
		row := m.w[int(f)*m.k : int(f)*m.k+m.k]
		// Towards c means above the mean of the classes.
		var mean float32
		for _, v := range row {
			mean += v
		}
		v := row[c] - mean/float32(m.k)
		if v > 0 {
			cs = append(cs, contrib{names[f], v})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].v > cs[j].v })
	var out []string
	for _, c := range cs {
		if len(out) == n {
			break
		}
		if c.name != "" {
			out = append(out, c.name)
		}
	}
	return out
}
