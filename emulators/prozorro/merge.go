package prozorro

import (
	"reflect"
	"strconv"

	"github.com/upstream-sandbox/sandbox/emulators"
)

// mergePatch applies a PATCH body to stored data like the upstream's
// apply_data_patch (FACT): objects merge key by key, lists merge by index (the
// patch's length wins, element i merges into element i), anything else is
// replaced. A null value replaces too, which later reads as "absent".
func mergePatch(orig, patch any) any {
	switch p := patch.(type) {
	case map[string]any:
		o, ok := orig.(map[string]any)
		if !ok {
			return deepCopy(p)
		}
		out := deepCopy(o).(map[string]any)
		for k, v := range p {
			if cur, ok := o[k]; ok {
				out[k] = mergePatch(cur, v)
			} else {
				out[k] = deepCopy(v)
			}
		}
		return out
	case []any:
		o, ok := orig.([]any)
		if !ok {
			return deepCopy(p)
		}
		out := make([]any, len(p))
		for i, v := range p {
			if i < len(o) {
				out[i] = mergePatch(o[i], v)
			} else {
				out[i] = deepCopy(v)
			}
		}
		return out
	}
	return patch
}

// diff returns the JSON Patch (RFC 6902) that turns to back into from — the
// upstream's revision "changes" (§5.2.2, DESIGN details): objects key by key,
// lists index by index (trailing removes from the highest index, then adds),
// scalars replaced with the old value.
func diff(to, from any) []any {
	var ops []any
	diffAt(&ops, "", to, from)
	return ops
}

func op(name, path string, value any, withValue bool) any {
	if withValue {
		return ordered{{"op", name}, {"path", path}, {"value", value}}
	}
	return ordered{{"op", name}, {"path", path}}
}

func escapePointer(k string) string {
	out := make([]byte, 0, len(k))
	for i := 0; i < len(k); i++ {
		switch k[i] {
		case '~':
			out = append(out, '~', '0')
		case '/':
			out = append(out, '~', '1')
		default:
			out = append(out, k[i])
		}
	}
	return string(out)
}

func diffAt(ops *[]any, path string, cur, prev any) {
	cm, cok := cur.(map[string]any)
	pm, pok := prev.(map[string]any)
	if cok && pok {
		for _, k := range emulators.SortedKeys(cm) {
			p := path + "/" + escapePointer(k)
			if pv, ok := pm[k]; ok {
				diffAt(ops, p, cm[k], pv)
			} else {
				*ops = append(*ops, op("remove", p, nil, false))
			}
		}
		for _, k := range emulators.SortedKeys(pm) {
			if _, ok := cm[k]; !ok {
				*ops = append(*ops, op("add", path+"/"+escapePointer(k), pm[k], true))
			}
		}
		return
	}
	cl, clok := cur.([]any)
	pl, plok := prev.([]any)
	if clok && plok {
		n := min(len(cl), len(pl))
		for i := 0; i < n; i++ {
			diffAt(ops, path+"/"+strconv.Itoa(i), cl[i], pl[i])
		}
		for i := len(cl) - 1; i >= len(pl); i-- {
			*ops = append(*ops, op("remove", path+"/"+strconv.Itoa(i), nil, false))
		}
		for i := len(cl); i < len(pl); i++ {
			*ops = append(*ops, op("add", path+"/"+strconv.Itoa(i), pl[i], true))
		}
		return
	}
	if !reflect.DeepEqual(cur, prev) {
		*ops = append(*ops, op("replace", path, prev, true))
	}
}
