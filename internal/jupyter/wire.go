// Package jupyter speaks the Jupyter kernel wire protocol: connection files, signed multipart messages,
// and the headers a kernel writes. It holds no kernel logic: internal/kernel builds the "Go (replica)"
// kernel on it.
//
// A message on the wire is a list of frames:
//
//	identities... "<IDS|MSG>" signature header parent_header metadata content buffers...
//
// where the signature is the hex HMAC-SHA256, keyed by the connection file's key, of the four JSON
// frames that follow it. Messages relayed unchanged keep their original JSON frames (and so their
// signature when both sides share the key); messages built or edited here are signed again.
package jupyter

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"os"
	"time"
)

// Delimiter separates the routing identities from the signed part of a message.
var Delimiter = []byte("<IDS|MSG>")

// ProtocolVersion is the messaging protocol version this package writes in headers.
const ProtocolVersion = "5.3"

// ConnectionInfo is the content of a kernel connection file.
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	ControlPort     int    `json:"control_port"`
	StdinPort       int    `json:"stdin_port"`
	IOPubPort       int    `json:"iopub_port"`
	HBPort          int    `json:"hb_port"`
	SignatureScheme string `json:"signature_scheme"`
	Key             string `json:"key"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// ReadConnectionFile reads and checks a connection file.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	var ci ConnectionInfo
	data, err := os.ReadFile(path)
	if err != nil {
		return ci, fmt.Errorf("jupyter: read connection file: %w", err)
	}
	if err := json.Unmarshal(data, &ci); err != nil {
		return ci, fmt.Errorf("jupyter: connection file %s is not valid JSON: %w", path, err)
	}
	switch ci.Transport {
	case "tcp", "ipc":
	default:
		return ci, fmt.Errorf("jupyter: connection file %s: transport %q, expected \"tcp\" or \"ipc\"", path, ci.Transport)
	}
	if ci.SignatureScheme != "" && ci.SignatureScheme != "hmac-sha256" {
		return ci, fmt.Errorf("jupyter: connection file %s: signature scheme %q, expected \"hmac-sha256\"", path, ci.SignatureScheme)
	}
	return ci, nil
}

// WriteConnectionFile writes ci to path, readable by its owner only (it holds the signing key).
func WriteConnectionFile(path string, ci ConnectionInfo) error {
	data, err := json.MarshalIndent(ci, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// Endpoint returns the ZeroMQ address of one of the connection's ports.
func (ci ConnectionInfo) Endpoint(port int) string {
	if ci.Transport == "ipc" {
		return fmt.Sprintf("ipc://%s-%d", ci.IP, port)
	}
	return fmt.Sprintf("tcp://%s:%d", ci.IP, port)
}

// Header is a message header.
type Header struct {
	MsgID    string `json:"msg_id"`
	MsgType  string `json:"msg_type"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	Version  string `json:"version"`
}

// Message is one message, parsed just enough to route it: the header and the parent's msg_id and
// msg_type are decoded; metadata and content stay raw JSON until someone needs them.
type Message struct {
	Identities [][]byte
	Header     Header
	Parent     Header // zero when the message has no parent
	// The four signed JSON frames, exactly as received (or as last encoded).
	RawHeader, RawParent, RawMetadata, RawContent []byte
	Buffers                                       [][]byte
}

// Signer signs and verifies messages with a connection's key. An empty key disables signing, as
// Jupyter does.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for key.
func NewSigner(key string) *Signer { return &Signer{key: []byte(key)} }

func (s *Signer) mac() hash.Hash { return hmac.New(sha256.New, s.key) }

// Sign returns the hex signature of the four JSON frames.
func (s *Signer) Sign(frames ...[]byte) []byte {
	if len(s.key) == 0 {
		return []byte{}
	}
	m := s.mac()
	for _, f := range frames {
		m.Write(f)
	}
	sum := m.Sum(nil)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return out
}

// ErrSignature is returned for a message whose signature does not match the key.
var ErrSignature = errors.New("jupyter: message signature does not match the connection key")

// Parse splits frames into a Message and checks its signature.
func (s *Signer) Parse(frames [][]byte) (*Message, error) {
	i := 0
	for i < len(frames) && !bytes.Equal(frames[i], Delimiter) {
		i++
	}
	if i == len(frames) {
		return nil, errors.New("jupyter: message without the <IDS|MSG> delimiter")
	}
	if len(frames) < i+6 {
		return nil, fmt.Errorf("jupyter: message has %d frames after the delimiter, expected at least 5", len(frames)-i-1)
	}
	m := &Message{
		Identities:  frames[:i],
		RawHeader:   frames[i+2],
		RawParent:   frames[i+3],
		RawMetadata: frames[i+4],
		RawContent:  frames[i+5],
		Buffers:     frames[i+6:],
	}
	if len(s.key) > 0 {
		want := s.Sign(m.RawHeader, m.RawParent, m.RawMetadata, m.RawContent)
		if !hmac.Equal(want, frames[i+1]) {
			return nil, ErrSignature
		}
	}
	if err := json.Unmarshal(m.RawHeader, &m.Header); err != nil {
		return nil, fmt.Errorf("jupyter: message header: %w", err)
	}
	if len(bytes.TrimSpace(m.RawParent)) > 2 {
		if err := json.Unmarshal(m.RawParent, &m.Parent); err != nil {
			return nil, fmt.Errorf("jupyter: message parent header: %w", err)
		}
	}
	return m, nil
}

// Frames encodes m for the wire, signing its JSON frames; identities come first.
func (s *Signer) Frames(m *Message) [][]byte {
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, Delimiter, s.Sign(m.RawHeader, m.RawParent, m.RawMetadata, m.RawContent),
		m.RawHeader, m.RawParent, m.RawMetadata, m.RawContent)
	return append(frames, m.Buffers...)
}

// Content decodes the message content into v.
func (m *Message) Content(v any) error {
	if err := json.Unmarshal(m.RawContent, v); err != nil {
		return fmt.Errorf("jupyter: %s content: %w", m.Header.MsgType, err)
	}
	return nil
}

// SetContent replaces the content with the JSON encoding of v.
func (m *Message) SetContent(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("jupyter: encode %s content: %w", m.Header.MsgType, err)
	}
	m.RawContent = data
	return nil
}

// NewMsgID returns a random message id in UUID form.
func NewMsgID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Now returns the current time in the header's ISO 8601 format.
func Now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000000Z") }

// Reply builds a message of msgType whose parent is parent, for the kernel session session, with the
// parent's identities (so a ROUTER socket sends it back to the requester). content is encoded as JSON.
func Reply(parent *Message, session, msgType string, content any) (*Message, error) {
	h := Header{MsgID: NewMsgID(), MsgType: msgType, Session: session, Username: "kernel", Date: Now(), Version: ProtocolVersion}
	if parent != nil && parent.Header.Username != "" {
		h.Username = parent.Header.Username
	}
	rawHeader, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	m := &Message{Header: h, RawHeader: rawHeader, RawParent: []byte("{}"), RawMetadata: []byte("{}")}
	if parent != nil {
		m.Identities = parent.Identities
		m.Parent = parent.Header
		m.RawParent = parent.RawHeader
	}
	if err := m.SetContent(content); err != nil {
		return nil, err
	}
	return m, nil
}
