package results

import (
	"encoding/json"
	"fmt"
	"sort"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/engine/histogram"
)

// EncodedHistogram is one entry of TEST_RESULTS.HISTOGRAMS (and of
// WORKER_METRICS_SNAPSHOTS.HISTOGRAMS): the HDR histogram of one (metric,
// phase, template, query, success) key, encoded with histogram.Encode,
// with the query's kind and whether it writes. Warmup is never stored.
type EncodedHistogram struct {
	Metric   string `json:"metric"`
	Phase    string `json:"phase"`
	Template string `json:"template,omitempty"`
	Query    string `json:"query,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Write    bool   `json:"write,omitempty"`
	Success  bool   `json:"success"`
	Count    int64  `json:"count"`
	HDR      string `json:"hdr"`
}

func (e EncodedHistogram) key() histogram.Key {
	return histogram.Key{Metric: e.Metric, Phase: e.Phase, Template: e.Template, Query: e.Query, Success: e.Success}
}

// EncodeHistograms encodes the non-empty histograms of hs in key order,
// with each query's metadata from queries.
func EncodeHistograms(hs map[histogram.Key]*hdr.Histogram, queries map[QueryKey]QueryMeta) (json.RawMessage, error) {
	out := make([]EncodedHistogram, 0, len(hs))
	for k, h := range hs {
		if h.TotalCount() == 0 {
			continue
		}
		s, err := histogram.Encode(h)
		if err != nil {
			return nil, err
		}
		m := queries[QueryKey{k.Template, k.Query}]
		out = append(out, EncodedHistogram{Metric: k.Metric, Phase: k.Phase, Template: k.Template, Query: k.Query,
			Kind: m.Kind, Write: m.Write, Success: k.Success, Count: h.TotalCount(), HDR: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key().Less(out[j].key()) })
	return json.Marshal(out)
}

// DecodeHistograms reads encoded histograms back by key, with the
// queries' metadata, so percentiles can be recomputed later.
func DecodeHistograms(raw json.RawMessage) (map[histogram.Key]*hdr.Histogram, map[QueryKey]QueryMeta, error) {
	out := map[histogram.Key]*hdr.Histogram{}
	meta := map[QueryKey]QueryMeta{}
	if len(raw) == 0 {
		return out, meta, nil
	}
	var es []EncodedHistogram
	if err := json.Unmarshal(raw, &es); err != nil {
		return nil, nil, fmt.Errorf("histograms: %w", err)
	}
	for _, e := range es {
		h, err := histogram.Decode(e.HDR)
		if err != nil {
			return nil, nil, err
		}
		k := e.key()
		if prev := out[k]; prev != nil {
			if err := histogram.Merge(prev, h); err != nil {
				return nil, nil, err
			}
		} else {
			out[k] = h
		}
		if e.Query != "" {
			meta[QueryKey{e.Template, e.Query}] = QueryMeta{Kind: e.Kind, Write: e.Write}
		}
	}
	return out, meta, nil
}
