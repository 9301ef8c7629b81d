package bpmn

import (
	"cmp"
	"slices"
)

// A left-to-right layered layout, small on purpose: each node sits in the
// column of its longest path from the start (loops left out), stacked in
// the order a breadth-first walk meets it; boundary events sit on their
// task's lower edge and an undo under its call. The designer page lays the
// diagram out again with bpmn-auto-layout.
const (
	cellW, cellH     = 100, 80  // a task's size; smaller shapes are centred in it
	colW, rowH       = 170, 130 // distance between columns and between rows
	marginX, marginY = 60, 60
)

// box is a shape's bounds.
type box struct{ x, y, w, h int }

// point is an edge's waypoint.
type point struct{ x, y int }

// size is the standard size of the node's shape.
func size(n *node) (int, int) {
	switch {
	case n.gateway():
		return 50, 50
	case n.tag == "startEvent" || n.tag == "endEvent" || n.tag == "intermediateCatchEvent" || n.tag == "boundaryEvent":
		return 36, 36
	}
	return cellW, cellH
}

// cellX is the left edge of the column a shape is centred in.
func cellX(b box) int { return b.x - (cellW-b.w)/2 }

// blocked reports whether a shape other than the flow's ends lies on the
// line at y from x1 to x2.
func blocked(shapes map[*node]box, f *flow, y, x1, x2 int) bool {
	for n, b := range shapes {
		if n != f.from && n != f.to && b.y <= y && y <= b.y+b.h && b.x < x2 && x1 < b.x+b.w {
			return true
		}
	}
	return false
}

// layout places every node and routes every flow and association.
func layout(g *graph) (map[*node]box, map[*flow][]point, [][]point) {
	boundaries := map[*node][]*node{}
	handler := map[*node]*node{} // call -> its undo
	for _, n := range g.nodes {
		if n.attachedTo != "" {
			host := g.byID[n.attachedTo]
			boundaries[host] = append(boundaries[host], n)
		}
	}
	for _, a := range g.associations {
		handler[g.byID[a[0].attachedTo]] = a[1]
	}
	// succ lists where a node leads, its boundary events' flows included.
	succ := func(n *node) []*node {
		var out []*node
		for _, f := range n.out {
			out = append(out, f.to)
		}
		for _, b := range boundaries[n] {
			for _, f := range b.out {
				out = append(out, f.to)
			}
		}
		return out
	}
	var placed []*node
	for _, n := range g.nodes {
		if n.attachedTo == "" && !n.forCompensate {
			placed = append(placed, n)
		}
	}

	// Back edges (loops) found depth first are left out of the layering.
	type edge struct{ from, to *node }
	back := map[edge]bool{}
	state := map[*node]int{} // 1 on the stack, 2 done
	var dfs func(n *node)
	dfs = func(n *node) {
		state[n] = 1
		for _, m := range succ(n) {
			switch state[m] {
			case 0:
				dfs(m)
			case 1:
				back[edge{n, m}] = true
			}
		}
		state[n] = 2
	}
	for _, n := range placed {
		if state[n] == 0 {
			dfs(n)
		}
	}
	preds := map[*node][]*node{}
	for _, n := range placed {
		for _, m := range succ(n) {
			if !back[edge{n, m}] {
				preds[m] = append(preds[m], n)
			}
		}
	}
	layer := map[*node]int{}
	var depth func(n *node) int
	depth = func(n *node) int {
		if l, ok := layer[n]; ok {
			return l
		}
		l := 0
		for _, p := range preds[n] {
			l = max(l, depth(p)+1)
		}
		layer[n] = l
		return l
	}
	// Breadth-first order sets the order within a column.
	order := map[*node]int{}
	queue := slices.Clone(placed[:1])
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if _, seen := order[n]; seen {
			continue
		}
		order[n] = len(order)
		queue = append(queue, succ(n)...)
	}
	for _, n := range placed {
		if _, seen := order[n]; !seen {
			order[n] = len(order)
		}
	}
	columns := map[int][]*node{}
	for _, n := range placed {
		columns[depth(n)] = append(columns[depth(n)], n)
	}

	shapes := map[*node]box{}
	for l, col := range columns {
		slices.SortFunc(col, func(a, b *node) int { return cmp.Compare(order[a], order[b]) })
		row := 0
		put := func(n *node) {
			w, h := size(n)
			x, y := marginX+l*colW, marginY+row*rowH
			shapes[n] = box{x + (cellW-w)/2, y + (cellH-h)/2, w, h}
			row++
		}
		for _, n := range col {
			put(n)
			if u := handler[n]; u != nil {
				put(u)
			}
		}
	}
	for host, bs := range boundaries {
		hb := shapes[host]
		for i, b := range bs {
			shapes[b] = box{hb.x + 8 + i*48, hb.y + hb.h - 18, 36, 36}
		}
	}

	bottom := 0
	for _, b := range shapes {
		bottom = max(bottom, b.y+b.h)
	}
	edges := map[*flow][]point{}
	backs := 0 // back flows so far, each a line lower than the last
	for _, f := range g.flows {
		s, t := shapes[f.from], shapes[f.to]
		end := point{t.x, t.y + t.h/2}
		start := point{s.x + s.w, s.y + s.h/2}
		if f.from.attachedTo != "" {
			start = point{s.x + s.w/2, s.y + s.h}
		}
		switch {
		case t.x <= start.x: // back: down the gap right of the column, below everything, up the gap left of the target
			pts := []point{start}
			host := f.from
			if f.from.attachedTo != "" {
				host = g.byID[f.from.attachedTo]
				pts = append(pts, point{start.x, start.y + 12})
			}
			right, left, low := cellX(shapes[host])+cellW+15, cellX(t)-20, bottom+30+backs*10
			backs++
			edges[f] = append(pts, point{right, pts[len(pts)-1].y}, point{right, low}, point{left, low}, point{left, end.y}, end)
		case f.from.attachedTo != "": // down into the gap below the row, then across
			gap, mid := start.y+12, end.x-25
			edges[f] = []point{start, {start.x, gap}, {mid, gap}, {mid, end.y}, end}
		case blocked(shapes, f, start.y, start.x, end.x-25):
			// Over the shapes in the way: up the gap right of the column,
			// along the gap above the row, down the gap left of the target.
			right, left, high := cellX(s)+cellW+15, cellX(t)-20, s.y+s.h/2-cellH/2-25
			edges[f] = []point{start, {right, start.y}, {right, high}, {left, high}, {left, end.y}, end}
		case start.y == end.y:
			edges[f] = []point{start, end}
		default:
			mid := end.x - 25
			edges[f] = []point{start, {mid, start.y}, {mid, end.y}, end}
		}
	}
	var assocs [][]point
	for _, a := range g.associations {
		b, u := shapes[a[0]], shapes[a[1]]
		assocs = append(assocs, []point{{b.x + b.w/2, b.y + b.h}, {b.x + b.w/2, u.y}})
	}
	return shapes, edges, assocs
}
