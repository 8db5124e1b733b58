package sandbox

import "time"

// clockState is a tenant clock (CONVENTIONS.md, Time): Base is the tenant
// instant at wall time WallBase; a running clock flows on from there, a frozen
// one stays at Base. Stored with the tenant, so it survives restarts.
type clockState struct {
	Base     time.Time `json:"base"`
	WallBase time.Time `json:"wallBase"`
	Frozen   bool      `json:"frozen"`
}

func (c clockState) now(wall time.Time) time.Time {
	if c.Frozen {
		return c.Base
	}
	return c.Base.Add(wall.Sub(c.WallBase))
}

func (c *clockState) set(t, wall time.Time) {
	c.Base, c.WallBase = t, wall
}

func (c *clockState) freeze(frozen bool, wall time.Time) {
	c.Base, c.WallBase, c.Frozen = c.now(wall), wall, frozen
}
