package spark

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"regexp"
	"unsafe"

	"github.com/apache/spark-connect-go/spark/sql"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// planKey names a DataFrame's plan for the result cache: a hash of the plan spark-connect-go would send
// (its protobuf, deterministic), without the ids it numbers plans with (they depend on how many
// DataFrames the program made before) and without any option that names a password, secret or token.
// spark-connect-go keeps the plan in an unexported field; when it is not where this version has it,
// planKey says so (ok false) and the result is not cached.
func planKey(df sql.DataFrame) (key string, ok bool) {
	defer func() {
		if recover() != nil {
			key, ok = "", false
		}
	}()
	v := reflect.ValueOf(df)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return "", false
	}
	f := v.Elem().FieldByName("relation")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return "", false
	}
	m, isMsg := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(proto.Message)
	if !isMsg {
		return "", false
	}
	c := proto.Clone(m)
	scrubPlan(c.ProtoReflect())
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", false
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), true
}

var secretKey = regexp.MustCompile(`(?i)password|secret|token`)

// scrubPlan clears plan ids and secret-named map entries everywhere in m.
func scrubPlan(m protoreflect.Message) {
	var clear []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Name() == "plan_id":
			clear = append(clear, fd)
		case fd.IsMap():
			mp := v.Map()
			var drop []protoreflect.MapKey
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapKey().Kind() == protoreflect.StringKind && secretKey.MatchString(k.String()) {
					drop = append(drop, k)
				} else if fd.MapValue().Kind() == protoreflect.MessageKind {
					scrubPlan(mv.Message())
				}
				return true
			})
			for _, k := range drop {
				mp.Clear(k)
			}
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				scrubPlan(l.Get(i).Message())
			}
		case fd.Kind() == protoreflect.MessageKind:
			scrubPlan(v.Message())
		}
		return true
	})
	for _, fd := range clear {
		m.Clear(fd)
	}
}
