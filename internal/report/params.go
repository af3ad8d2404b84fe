package report

// Param is one parameter of a variant: its name, its value as given and the Go type it was checked against.
type Param struct {
	Name, Value, Type string
}
