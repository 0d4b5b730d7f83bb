package account

// Verify exposes the KDF check to the external tests of this package.
func (s *Service) Verify(encoded, secret string) bool { return s.hash.Verify(encoded, secret) }

// The sign-in limits, for the throttle tests.
const (
	AccountMaxFailure = accountMaxFailure
	IPMaxFailure      = ipMaxFailure
)
