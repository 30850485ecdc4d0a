package inventory

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// S3 limits: a ListObjectsV2 page holds at most 1 000 keys (a larger
// max-keys is lowered to 1 000, as S3 does), DeleteObjects takes at most
// 1 000 keys (more is MalformedXML, as S3 answers).
const (
	maxListKeys   = 1000
	maxDeleteKeys = 1000
)

// bucket holds its seeded objects implicitly: object i is key(i), so a
// bucket of a million objects costs a deletion bitmap, not a million keys.
type bucket struct {
	name       string
	region     string
	created    int64
	tags       []Tag
	versioning string // "", Enabled or Suspended
	lifecycle  []byte // the configuration documents as last put
	encryption []byte
	publicAB   []byte

	objects    int
	objectTime int64
	deleted    []bool // nil until the first delete
}

func objectKey(i int) string { return fmt.Sprintf("obj/%08d", i) }

func (b *bucket) live(i int) bool { return b.deleted == nil || !b.deleted[i] }

func (b *bucket) keyIndex(key string) int {
	if !strings.HasPrefix(key, "obj/") || len(key) != 12 {
		return -1
	}
	i, err := strconv.Atoi(key[4:])
	if err != nil || i < 0 || i >= b.objects {
		return -1
	}
	return i
}

type s3Store struct {
	mu      sync.RWMutex
	buckets []*bucket // sorted by name, as ListBuckets answers
}

func newS3Store() *s3Store { return &s3Store{} }

// replaceRegion swaps the buckets of one region for bs (S3's namespace is
// global; each bucket lives in one region).
func (s *s3Store) replaceRegion(region string, bs []*bucket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := s.buckets[:0]
	for _, b := range s.buckets {
		if b.region != region {
			keep = append(keep, b)
		}
	}
	s.buckets = append(keep, bs...)
	sort.Slice(s.buckets, func(i, j int) bool { return s.buckets[i].name < s.buckets[j].name })
}

func (s *s3Store) find(name string) *bucket {
	i := sort.Search(len(s.buckets), func(i int) bool { return s.buckets[i].name >= name })
	if i < len(s.buckets) && s.buckets[i].name == name {
		return s.buckets[i]
	}
	return nil
}

// s3Operation names a path-style request the way the SDK names the call.
func s3Operation(r *http.Request) string {
	path := strings.TrimPrefix(r.URL.Path, "/")
	q := r.URL.Query()
	has := func(k string) bool { _, ok := q[k]; return ok }
	if path == "" {
		if r.Method == http.MethodGet {
			return "ListBuckets"
		}
		return "Unknown"
	}
	if strings.Contains(path, "/") {
		return "Object" + strings.ToUpper(r.Method[:1]) + strings.ToLower(r.Method[1:])
	}
	verb := map[string]string{http.MethodGet: "Get", http.MethodPut: "Put", http.MethodDelete: "Delete"}[r.Method]
	for _, sub := range []struct{ q, name string }{
		{"tagging", "BucketTagging"}, {"versioning", "BucketVersioning"}, {"lifecycle", "BucketLifecycleConfiguration"},
		{"encryption", "BucketEncryption"}, {"publicAccessBlock", "PublicAccessBlock"}, {"location", "BucketLocation"},
	} {
		if has(sub.q) && verb != "" {
			if sub.q == "lifecycle" && verb == "Delete" {
				return "DeleteBucketLifecycle"
			}
			return verb + sub.name
		}
	}
	switch {
	case r.Method == http.MethodPost && has("delete"):
		return "DeleteObjects"
	case r.Method == http.MethodGet && has("uploads"):
		return "ListMultipartUploads"
	case r.Method == http.MethodGet && q.Get("list-type") == "2":
		return "ListObjectsV2"
	case r.Method == http.MethodGet && has("versions"):
		return "ListObjectVersions"
	case r.Method == http.MethodGet:
		return "ListObjects"
	case r.Method == http.MethodHead:
		return "HeadBucket"
	}
	return "Unknown"
}

func s3Err(status int, code, msg string) *apiError {
	return &apiError{code: code, msg: msg, status: status}
}

func (s *Server) serveS3(w http.ResponseWriter, r *http.Request) {
	op := s3Operation(r)
	s.count("S3." + op)
	out := newXW()
	defer out.release()
	status, err := s.s3Call(op, r, s.s3, out)
	s.wait(r.Context(), s3Kind(op), 0)
	reqID := s.requestID()
	w.Header().Set("x-amz-request-id", reqID)
	if err != nil {
		e := asAPIError(err)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(e.status)
		if r.Method == http.MethodHead {
			return
		}
		x := newXW()
		defer x.release()
		x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		x.open("Error").el("Code", e.code).el("Message", e.msg).el("RequestId", reqID).close("Error")
		_, _ = w.Write(x.b)
		return
	}
	if len(out.b) > 0 {
		w.Header().Set("Content-Type", "application/xml")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out.b)))
	w.WriteHeader(status)
	_, _ = w.Write(out.b)
}

func (s *Server) s3Call(op string, r *http.Request, st *s3Store, w *xw) (int, error) {
	if op == "ListBuckets" {
		st.mu.RLock()
		defer st.mu.RUnlock()
		return http.StatusOK, s.listBuckets(r, st, w)
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if strings.Contains(name, "/") || op == "Unknown" {
		return 0, s3Err(http.StatusNotImplemented, "NotImplemented", fmt.Sprintf("%s %s is not served by the inventory server", r.Method, r.URL.Path))
	}
	mutating := r.Method != http.MethodGet && r.Method != http.MethodHead
	if mutating {
		st.mu.Lock()
		defer st.mu.Unlock()
	} else {
		st.mu.RLock()
		defer st.mu.RUnlock()
	}
	b := st.find(name)
	if b == nil {
		return 0, s3Err(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	}
	head := func(root string) {
		w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<" + root + ` xmlns="` + s3Namespace + `">`)
	}
	switch op {
	case "HeadBucket":
		return http.StatusOK, nil
	case "GetBucketLocation":
		head("LocationConstraint")
		if b.region != "us-east-1" {
			w.text(b.region)
		}
		w.close("LocationConstraint")
	case "ListObjectsV2":
		return http.StatusOK, listObjects(r, b, w)
	case "GetBucketTagging":
		if len(b.tags) == 0 {
			return 0, s3Err(http.StatusNotFound, "NoSuchTagSet", "The TagSet does not exist")
		}
		head("Tagging")
		w.open("TagSet")
		for _, t := range b.tags {
			w.open("Tag").el("Key", t.Key).el("Value", t.Value).close("Tag")
		}
		w.close("TagSet").close("Tagging")
	case "PutBucketTagging":
		var doc struct {
			Tags []struct{ Key, Value string } `xml:"TagSet>Tag"`
		}
		if err := readXML(r, "Tagging", &doc); err != nil {
			return 0, err
		}
		if len(doc.Tags) > 50 {
			return 0, s3Err(http.StatusBadRequest, "BadRequest", "Bucket tag count cannot be greater than 50")
		}
		b.tags = nil
		for _, t := range doc.Tags {
			b.tags = append(b.tags, Tag{t.Key, t.Value})
		}
		return http.StatusNoContent, nil
	case "DeleteBucketTagging":
		b.tags = nil
		return http.StatusNoContent, nil
	case "GetBucketVersioning":
		head("VersioningConfiguration")
		if b.versioning != "" {
			w.el("Status", b.versioning)
		}
		w.close("VersioningConfiguration")
	case "PutBucketVersioning":
		var doc struct{ Status string }
		if err := readXML(r, "VersioningConfiguration", &doc); err != nil {
			return 0, err
		}
		if doc.Status != "Enabled" && doc.Status != "Suspended" {
			return 0, s3Err(http.StatusBadRequest, "MalformedXML", "Versioning Status must be Enabled or Suspended")
		}
		b.versioning = doc.Status
	case "GetBucketLifecycleConfiguration":
		if b.lifecycle == nil {
			return 0, s3Err(http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
		}
		w.raw(string(b.lifecycle))
	case "PutBucketLifecycleConfiguration":
		return http.StatusOK, storeXML(r, "LifecycleConfiguration", &b.lifecycle)
	case "DeleteBucketLifecycle":
		b.lifecycle = nil
		return http.StatusNoContent, nil
	case "GetBucketEncryption":
		if b.encryption == nil {
			// Every bucket has SSE-S3 by default since January 2023.
			head("ServerSideEncryptionConfiguration")
			w.raw("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>")
			w.close("ServerSideEncryptionConfiguration")
		} else {
			w.raw(string(b.encryption))
		}
	case "PutBucketEncryption":
		return http.StatusOK, storeXML(r, "ServerSideEncryptionConfiguration", &b.encryption)
	case "DeleteBucketEncryption":
		b.encryption = nil
		return http.StatusNoContent, nil
	case "GetPublicAccessBlock":
		if b.publicAB == nil {
			return 0, s3Err(http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
		}
		w.raw(string(b.publicAB))
	case "PutPublicAccessBlock":
		return http.StatusOK, storeXML(r, "PublicAccessBlockConfiguration", &b.publicAB)
	case "DeletePublicAccessBlock":
		b.publicAB = nil
		return http.StatusNoContent, nil
	case "ListMultipartUploads":
		// Nothing uploads here, so there is never an incomplete upload.
		head("ListMultipartUploadsResult")
		w.el("Bucket", b.name).el("KeyMarker", "").el("UploadIdMarker", "").elInt("MaxUploads", 1000).elBool("IsTruncated", false)
		w.close("ListMultipartUploadsResult")
	case "DeleteObjects":
		return http.StatusOK, deleteObjects(r, b, w)
	default:
		return 0, s3Err(http.StatusNotImplemented, "NotImplemented", op+" is not served by the inventory server")
	}
	return http.StatusOK, nil
}

// readBody reads a request body, decoding aws-chunked framing if the SDK
// streamed it with a trailing checksum.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return nil, s3Err(http.StatusBadRequest, "IncompleteBody", err.Error())
	}
	if !strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") {
		return body, nil
	}
	var out []byte
	for len(body) > 0 {
		line, rest, ok := bytes.Cut(body, []byte("\r\n"))
		if !ok {
			break
		}
		sizeHex, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(sizeHex), 16, 64)
		if err != nil || n < 0 || int(n) > len(rest) {
			return nil, s3Err(http.StatusBadRequest, "IncompleteBody", "bad aws-chunked framing")
		}
		if n == 0 {
			break
		}
		out = append(out, rest[:n]...)
		body = bytes.TrimPrefix(rest[n:], []byte("\r\n"))
	}
	return out, nil
}

func readXML(r *http.Request, root string, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return parseXML(body, root, v)
}

func parseXML(body []byte, root string, v any) error {
	malformed := s3Err(http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return malformed
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != root {
				return malformed
			}
			if err := dec.DecodeElement(v, &se); err != nil {
				return malformed
			}
			return nil
		}
	}
}

// storeXML keeps a configuration document as put, so Get answers with
// exactly what the SDK sent (namespace added when missing).
func storeXML(r *http.Request, root string, dst *[]byte) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var any struct{}
	if err := parseXML(body, root, &any); err != nil {
		return err
	}
	*dst = body
	return nil
}

func listObjects(r *http.Request, b *bucket, w *xw) error {
	q := r.URL.Query()
	if q.Get("delimiter") != "" {
		return s3Err(http.StatusNotImplemented, "NotImplemented", "the inventory server lists without a delimiter only")
	}
	limit := maxListKeys
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return s3Err(http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range")
		}
		limit = min(n, maxListKeys)
	}
	prefix := q.Get("prefix")
	// Keys are key(0) < key(1) < ...: a prefix is an index range.
	lo := sort.Search(b.objects, func(i int) bool { return objectKey(i) >= prefix })
	hi := lo + sort.Search(b.objects-lo, func(j int) bool { return !strings.HasPrefix(objectKey(lo+j), prefix) })
	if sa := q.Get("start-after"); sa != "" {
		lo = max(lo, sort.Search(b.objects, func(i int) bool { return objectKey(i) > sa }))
	}
	tok := q.Get("continuation-token")
	start := lo
	if tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		i, aerr := strconv.Atoi(strings.TrimPrefix(string(raw), "s3v1:"))
		if err != nil || aerr != nil || !strings.HasPrefix(string(raw), "s3v1:") || i < lo || i > hi {
			return s3Err(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
		}
		start = i
	}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="` + s3Namespace + `">`)
	w.el("Name", b.name).el("Prefix", prefix).elInt("MaxKeys", int64(limit))
	if tok != "" {
		w.el("ContinuationToken", tok)
	}
	// Contents come first; KeyCount, IsTruncated and the next token after,
	// once known (element order is free in S3's XML).
	i, got := start, 0
	for ; i < hi && got < limit; i++ {
		if !b.live(i) {
			continue
		}
		w.open("Contents").el("Key", objectKey(i))
		w.elTime("LastModified", b.objectTime+int64(i%86400))
		w.el("ETag", fmt.Sprintf("\"%032x\"", uint64(i+1)*idMul))
		w.elInt("Size", int64(1024+i%4096)).el("StorageClass", "STANDARD").close("Contents")
		got++
	}
	for ; i < hi && !b.live(i); i++ {
	}
	w.elInt("KeyCount", int64(got)).elBool("IsTruncated", i < hi)
	if i < hi {
		w.el("NextContinuationToken", base64.RawURLEncoding.EncodeToString([]byte("s3v1:"+strconv.Itoa(i))))
	}
	w.close("ListBucketResult")
	return nil
}

func deleteObjects(r *http.Request, b *bucket, w *xw) error {
	var doc struct {
		Quiet   bool
		Objects []struct{ Key, VersionId string } `xml:"Object"`
	}
	if err := readXML(r, "Delete", &doc); err != nil {
		return err
	}
	if len(doc.Objects) == 0 || len(doc.Objects) > maxDeleteKeys {
		return s3Err(http.StatusBadRequest, "MalformedXML", fmt.Sprintf("The XML you provided was not well-formed or did not validate against our published schema (%d keys; DeleteObjects takes 1 to %d)", len(doc.Objects), maxDeleteKeys))
	}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<DeleteResult xmlns="` + s3Namespace + `">`)
	for _, o := range doc.Objects {
		// Deleting a key that does not exist succeeds, as in S3.
		if i := b.keyIndex(o.Key); i >= 0 {
			if b.deleted == nil {
				b.deleted = make([]bool, b.objects)
			}
			b.deleted[i] = true
		}
		if !doc.Quiet {
			w.open("Deleted").el("Key", o.Key)
			if o.VersionId != "" {
				w.el("VersionId", o.VersionId)
			}
			w.close("Deleted")
		}
	}
	w.close("DeleteResult")
	return nil
}

func (s *Server) listBuckets(r *http.Request, st *s3Store, w *xw) error {
	q := r.URL.Query()
	limit := len(st.buckets) + 1
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return s3Err(http.StatusBadRequest, "InvalidArgument", "max-buckets must be between 1 and 10000")
		}
		limit = n
	}
	start := 0
	if tok := q.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		i, aerr := strconv.Atoi(strings.TrimPrefix(string(raw), "s3v1:"))
		if err != nil || aerr != nil || i < 0 || i > len(st.buckets) {
			return s3Err(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
		}
		start = i
	}
	prefix, onlyRegion := q.Get("prefix"), q.Get("bucket-region")
	keep := func(b *bucket) bool {
		return strings.HasPrefix(b.name, prefix) && (onlyRegion == "" || b.region == onlyRegion)
	}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListAllMyBucketsResult xmlns="` + s3Namespace + `">`)
	w.open("Owner").el("ID", s.opts.Account).close("Owner").open("Buckets")
	i, got := start, 0
	for ; i < len(st.buckets) && got < limit; i++ {
		b := st.buckets[i]
		if !keep(b) {
			continue
		}
		w.open("Bucket").el("Name", b.name).elTime("CreationDate", b.created).el("BucketRegion", b.region).close("Bucket")
		got++
	}
	w.close("Buckets")
	for ; i < len(st.buckets); i++ {
		if keep(st.buckets[i]) {
			w.el("ContinuationToken", base64.RawURLEncoding.EncodeToString([]byte("s3v1:"+strconv.Itoa(i))))
			break
		}
	}
	if prefix != "" {
		w.el("Prefix", prefix)
	}
	w.close("ListAllMyBucketsResult")
	return nil
}
