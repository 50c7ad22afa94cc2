package benchreport

import (
	"bufio"
	"os"
	"strings"
)

// CPUModel returns the first "model name" of /proc/cpuinfo ("" when it
// cannot be read).
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ReplaceSection returns doc with the text between the lines begin and end
// replaced by body (markers kept); when the markers are missing, the
// section is appended.
func ReplaceSection(doc, begin, end, body string) string {
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	section := begin + "\n" + strings.TrimRight(body, "\n") + "\n" + end
	if i < 0 || j < i {
		return strings.TrimRight(doc, "\n") + "\n\n" + section + "\n"
	}
	return doc[:i] + section + doc[j+len(end):]
}
