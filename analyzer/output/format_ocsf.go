package output

import "github.com/apitap/apitap/analyzer/alert"

// OCSF encodes each state change as one OCSF Detection Finding (class
// 2004), exactly as alert.MarshalOCSF does for --alerts FILE: a SIEM that
// reads both sees the same events. It holds no state, so one value may
// serve any number of queues at once.
type OCSF struct {
	product alert.ProductInfo
}

var _ Format = OCSF{}

// NewOCSF returns the OCSF format naming p in each finding's
// metadata.product.
func NewOCSF(p alert.ProductInfo) OCSF { return OCSF{product: p} }

// Name returns "ocsf".
func (OCSF) Name() string { return "ocsf" }

// Append appends a as one OCSF Detection Finding in JSON.
func (f OCSF) Append(dst []byte, a *alert.Alert) ([]byte, error) {
	b, err := alert.MarshalOCSF(a, f.product)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}
