package logo

import (
	"cmp"
	"slices"

	"github.com/lintel-id/lintel/themes"
)

const (
	// maxClusters is k of the k-means.
	maxClusters = 8
	// maxPalette is how many brand colours a palette keeps.
	maxPalette = 6
	// mergeDist is the OKLab distance under which two clusters are one
	// brand colour (about four just-noticeable differences).
	mergeDist = 0.08
	// kmeansRounds bounds the k-means iterations; it converges well before.
	kmeansRounds = 50
)

// point is a weighted colour: a bin of similar pixels or an SVG paint with
// its number of uses. color is its exact colour, what the palette reports.
type point struct {
	c     lab
	color themes.Color
	w     float64
}

// cluster is a group of points: its weighted mean, total weight and
// heaviest member, whose exact colour stands for the cluster (a mean would
// pull a flat brand colour towards its anti-aliased edges).
type cluster struct {
	mean lab
	w    float64
	rep  point
}

// dominant groups points into brand colours and returns up to maxPalette
// of them, most prominent first (population weighted by chroma). Clusters
// holding less than minShare of the weight are dropped as noise.
// Deterministic: the order of points decides ties, never a map or a clock.
func dominant(points []point, minShare float64) []themes.Color {
	cs := merge(kmeans(points, maxClusters))
	var total float64
	for _, c := range cs {
		total += c.w
	}
	cs = slices.DeleteFunc(cs, func(c cluster) bool { return c.w < minShare*total })
	slices.SortStableFunc(cs, func(a, b cluster) int {
		return cmp.Compare(b.w*b.mean.chroma(), a.w*a.mean.chroma())
	})
	var out []themes.Color
	for _, c := range cs[:min(len(cs), maxPalette)] {
		out = append(out, c.rep.color)
	}
	return out
}

// kmeans clusters weighted points around at most k centres, seeded
// deterministically: the heaviest point first, then each time the point
// with the largest weight × squared distance to its nearest centre.
func kmeans(points []point, k int) []cluster {
	if len(points) == 0 {
		return nil
	}
	centres := []lab{heaviest(points).c}
	for len(centres) < k {
		best, score := -1, 0.0
		for i, p := range points {
			d := dist(p.c, centres[nearest(centres, p.c)])
			if s := p.w * d * d; s > score {
				best, score = i, s
			}
		}
		if best < 0 {
			break
		}
		centres = append(centres, points[best].c)
	}
	assign := make([]int, len(points))
	for round := 0; round < kmeansRounds; round++ {
		changed := round == 0
		for i, p := range points {
			if j := nearest(centres, p.c); j != assign[i] {
				assign[i], changed = j, true
			}
		}
		if !changed {
			break
		}
		sums := make([]cluster, len(centres))
		for i, p := range points {
			s := &sums[assign[i]]
			s.mean.L += p.w * p.c.L
			s.mean.A += p.w * p.c.A
			s.mean.B += p.w * p.c.B
			s.w += p.w
		}
		for j, s := range sums {
			if s.w > 0 {
				centres[j] = lab{s.mean.L / s.w, s.mean.A / s.w, s.mean.B / s.w}
			}
		}
	}
	cs := make([]cluster, len(centres))
	for i, p := range points {
		c := &cs[assign[i]]
		c.mean.L += p.w * p.c.L
		c.mean.A += p.w * p.c.A
		c.mean.B += p.w * p.c.B
		c.w += p.w
		if p.w > c.rep.w {
			c.rep = p
		}
	}
	cs = slices.DeleteFunc(cs, func(c cluster) bool { return c.w == 0 })
	for i := range cs {
		cs[i].mean = lab{cs[i].mean.L / cs[i].w, cs[i].mean.A / cs[i].w, cs[i].mean.B / cs[i].w}
	}
	return cs
}

// merge joins the closest pair of clusters while it is closer than
// mergeDist: k-means splits one brand colour in two when there are fewer
// colours than centres.
func merge(cs []cluster) []cluster {
	for {
		bi, bj, bd := -1, -1, mergeDist
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				if d := dist(cs[i].mean, cs[j].mean); d < bd {
					bi, bj, bd = i, j, d
				}
			}
		}
		if bi < 0 {
			return cs
		}
		a, b := cs[bi], cs[bj]
		w := a.w + b.w
		a.mean = lab{(a.w*a.mean.L + b.w*b.mean.L) / w, (a.w*a.mean.A + b.w*b.mean.A) / w, (a.w*a.mean.B + b.w*b.mean.B) / w}
		if b.rep.w > a.rep.w {
			a.rep = b.rep
		}
		a.w = w
		cs[bi] = a
		cs = slices.Delete(cs, bj, bj+1)
	}
}

// nearest returns the index of the centre closest to c.
func nearest(centres []lab, c lab) int {
	best, bd := 0, dist(centres[0], c)
	for i := 1; i < len(centres); i++ {
		if d := dist(centres[i], c); d < bd {
			best, bd = i, d
		}
	}
	return best
}

// heaviest returns the first point of the largest weight.
func heaviest(points []point) point {
	h := points[0]
	for _, p := range points[1:] {
		if p.w > h.w {
			h = p
		}
	}
	return h
}
