package sandbox

import (
	"github.com/upstream-sandbox/sandbox/emulators"
	"github.com/upstream-sandbox/sandbox/emulators/prozorro"
)

// DefaultEmulators builds every service this binary emulates. Services whose
// issues have not landed are simply absent (their paths answer 404).
func DefaultEmulators() ([]emulators.Emulator, error) {
	pz, err := prozorro.New()
	if err != nil {
		return nil, err
	}
	return []emulators.Emulator{pz}, nil
}
