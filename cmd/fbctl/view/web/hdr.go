package web

import hdr "github.com/HdrHistogram/hdrhistogram-go"

type hdrHist = hdr.Histogram
