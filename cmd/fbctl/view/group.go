package view

// groupInOrder folds rows into one summary per key, in the order the keys
// first appear: newSum starts a key's summary from its first row, add
// counts every row (the first included) into it.
func groupInOrder[R any, K comparable, S any](rows []R, key func(R) K, newSum func(R) S, add func(*S, R)) []S {
	index := map[K]int{}
	var out []S
	for _, r := range rows {
		k := key(r)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, newSum(r))
		}
		add(&out[i], r)
	}
	return out
}
