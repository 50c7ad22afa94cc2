package executor

import (
	"context"
	"errors"
	"strconv"
)

// ErrorInfo is how a failed operation is grouped in results.
type ErrorInfo struct {
	Code     string // SQLSTATE, a driver error number, "timeout", "canceled" or "error"
	SQLState string
	Message  string
	Class    string // ConflictClass for a serialization failure or deadlock; "" otherwise
}

// Classifier turns an operation's error into an ErrorInfo. Callers that
// know the driver (Snowflake error numbers, say) inject their own and may
// fall back to ClassifyError.
type Classifier func(error) ErrorInfo

// ClassifyError is the default Classifier: a SQLSTATE from any error in the
// chain with a SQLState() string method (pgconn.PgError, for one), an error
// number from a Number() int or ErrorNumber() int method, context errors as
// "timeout" and "canceled", anything else as "error".
func ClassifyError(err error) ErrorInfo {
	info := ErrorInfo{Code: "error", Message: err.Error()}
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		info.SQLState = st.SQLState()
		if info.SQLState != "" {
			info.Code = info.SQLState
		}
	}
	var num interface{ Number() int }
	var enum interface{ ErrorNumber() int }
	switch {
	case errors.As(err, &num):
		info.Code = strconv.Itoa(num.Number())
	case errors.As(err, &enum):
		info.Code = strconv.Itoa(enum.ErrorNumber())
	case errors.Is(err, context.DeadlineExceeded):
		info.Code = "timeout"
	case errors.Is(err, context.Canceled):
		info.Code = "canceled"
	}
	return info
}
