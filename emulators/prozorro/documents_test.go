package prozorro_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/sandboxtest"
)

// seedDocument is the first document body of the plans/auctions seeds.
func seedDocument() map[string]any {
	return map[string]any{"data": map[string]any{
		"title":  "Notice.pdf",
		"url":    "http://public.docs-sandbox.ea.openprocurement.org/get/168e34b56cb646ee8450e9cdbb5cb84d?KeyID=8473fc1d&Signature=RKgxvMO4%252BHMPCX0gL5hJ6P8JuAmkn9C2nC6R3v0ysN8t2LBvVeW5EwFGLU4ZdlXFgyhBRXhlc6QQ6EpgtPWdBQ%253D%253D",
		"hash":   "md5:00000000000000000000000000000000",
		"format": "application/pdf",
	}}
}

// multipartBody builds a form with one "file" part.
func multipartBody(t *testing.T, filename, ctype, content string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+filename+`"`)
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	part, err := w.CreatePart(h)
	require.NoError(t, err)
	_, _ = part.Write([]byte(content))
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

func (e *env) docKey() (string, ed25519.PublicKey) {
	e.t.Helper()
	obj := e.Control(http.MethodGet, "/_sandbox/prozorro/docservice/key", nil, 200).Object()
	pub, err := hex.DecodeString(obj["publicKey"].(string))
	require.NoError(e.t, err)
	return obj["keyId"].(string), ed25519.PublicKey(pub)
}

// verifyURL checks a rendered document url: the sandbox KeyID and a signature
// over message (after the double encoding of §4.12.5).
func verifyURL(t *testing.T, raw, keyID string, pub ed25519.PublicKey, message string) {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, keyID, q.Get("KeyID"))
	once, err := url.PathUnescape(q.Get("Signature"))
	require.NoError(t, err)
	sig, err := base64.StdEncoding.DecodeString(once)
	require.NoError(t, err)
	require.True(t, ed25519.Verify(pub, []byte(message), sig), "signature over %q", message)
}

func docsURL(plan string) string { return plansURL + "/" + plan + "/documents" }

func owner(path string) string { return path + "?acc_token=" + P1Token }

// PL-16
func TestDocuments_JSONForm(t *testing.T) {
	e := newEnv(t)
	before := e.plan(P1)["dateModified"]
	e.AdvanceClock("1s")
	resp := e.as("broker", http.MethodPost, owner(docsURL(P1)), seedDocument())
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	doc := resp.Object()["data"].(map[string]any)
	require.Equal(t, e.URL+docsURL(P1)+"/"+doc["id"].(string), resp.Header.Get("Location"))
	keyID, pub := e.docKey()
	require.True(t, strings.HasPrefix(doc["url"].(string), e.URL+"/prozorro/docservice/get/168e34b56cb646ee8450e9cdbb5cb84d?KeyID="+keyID+"&Signature="), doc["url"])
	require.Contains(t, doc["url"], "%25", "signature percent-quoted twice")
	verifyURL(t, doc["url"].(string), keyID, pub, "168e34b56cb646ee8450e9cdbb5cb84d")
	require.NotContains(t, doc, "documentOf")
	require.Equal(t, "application/pdf", doc["format"])
	require.Equal(t, doc["dateModified"], doc["datePublished"])
	require.NotEqual(t, before, e.plan(P1)["dateModified"])
	require.Len(t, e.plan(P1)["documents"], 1)
}

func (e *env) upload(method, path, filename, content string) *sandboxtest.Response {
	e.t.Helper()
	body, ctype := multipartBody(e.t, filename, "application/msword", content)
	return e.as("broker", method, path, body, "Content-Type", ctype)
}

// PL-17
func TestDocuments_MultipartAndDownload(t *testing.T) {
	e := newEnv(t)
	resp := e.upload(http.MethodPost, owner(docsURL(P1)), "укр.doc", "content")
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))
	doc := resp.Object()["data"].(map[string]any)
	require.Equal(t, "укр.doc", doc["title"])
	require.Equal(t, "md5:9a0364b9e99bb480dd25e1f0284c8555", doc["hash"])
	require.Equal(t, "application/msword", doc["format"])
	key := strings.TrimPrefix(strings.Split(doc["url"].(string), "?")[0], e.URL+"/prozorro/docservice/get/")
	dl := e.Do(http.MethodGet, docsURL(P1)+"/"+doc["id"].(string)+"?download="+key, nil)
	require.Equal(t, http.StatusFound, dl.StatusCode)
	loc := dl.Header.Get("Location")
	require.Regexp(t, `^`+e.URL+`/prozorro/docservice/get/`+key+`\?Signature=[^&]+&Expires=\d+&KeyID=[0-9a-f]{8}$`, loc)
	require.Equal(t, "application/msword", dl.Header.Get("Content-Type"))
	got := e.Do(http.MethodGet, strings.TrimPrefix(loc, e.URL), nil, "X-Sandbox-Tenant", "someone-else")
	require.Equal(t, http.StatusOK, got.StatusCode, string(got.Body))
	require.Equal(t, "content", string(got.Body))
	require.Equal(t, "attachment; filename*=utf-8''%D1%83%D0%BA%D1%80.doc", got.Header.Get("Content-Disposition"))
	requireError(t, e.Do(http.MethodGet, docsURL(P1)+"/"+doc["id"].(string)+"?download=some_id", nil), 404, "url", "download", "Not Found")
}

// PL-18
func TestDocuments_Versions(t *testing.T) {
	e := newEnv(t)
	v1 := e.upload(http.MethodPost, owner(docsURL(P1)), "first.doc", "one").Object()["data"].(map[string]any)
	e.AdvanceClock("1s")
	resp := e.upload(http.MethodPut, owner(docsURL(P1)+"/"+v1["id"].(string)), "name  name.doc", "two")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	v2 := resp.Object()["data"].(map[string]any)
	require.Equal(t, v1["id"], v2["id"])
	require.Equal(t, "name name.doc", v2["title"])
	require.Equal(t, v1["datePublished"], v2["datePublished"])
	require.NotEqual(t, v1["dateModified"], v2["dateModified"])
	list := e.get(docsURL(P1))["data"].([]any)
	require.Len(t, list, 1)
	require.Equal(t, v2, list[0])
	require.Len(t, e.get(docsURL(P1) + "?all=1")["data"], 2)
	one := e.get(docsURL(P1) + "/" + v1["id"].(string))["data"].(map[string]any)
	require.Equal(t, []any{v1}, one["previousVersions"])
	require.Len(t, e.plan(P1)["documents"], 2, "the plan shows every version")
	key1 := strings.Split(strings.TrimPrefix(v1["url"].(string), e.URL+"/prozorro/docservice/get/"), "?")[0]
	dl := e.Do(http.MethodGet, docsURL(P1)+"/"+v1["id"].(string)+"?download="+key1, nil)
	require.Equal(t, http.StatusFound, dl.StatusCode)
	require.Equal(t, "one", string(e.Do(http.MethodGet, strings.TrimPrefix(dl.Header.Get("Location"), e.URL), nil).Body))
	// raw-body PUT: the body is the content, the title stays
	raw := e.as("broker", http.MethodPut, owner(docsURL(P1)+"/"+v1["id"].(string)), "three", "Content-Type", "text/csv")
	require.Equal(t, http.StatusOK, raw.StatusCode, string(raw.Body))
	require.Equal(t, "name name.doc", raw.Object()["data"].(map[string]any)["title"])
	require.Equal(t, "text/csv", raw.Object()["data"].(map[string]any)["format"])
	// a JSON PUT copies everything but the file fields from the previous version
	body := seedDocument()
	body["data"].(map[string]any)["description"] = "ignored"
	js := e.as("broker", http.MethodPut, owner(docsURL(P1)+"/"+v1["id"].(string)), body)
	require.Equal(t, http.StatusOK, js.StatusCode, string(js.Body))
	require.NotContains(t, js.Object()["data"], "description")
	requireError(t, e.upload(http.MethodPut, owner(docsURL(P1)+"/nosuch"), "x.doc", "x"), 404, "url", "document_id", "Not Found")
}

// PL-19
func TestDocuments_Patch(t *testing.T) {
	e := newEnv(t)
	doc := e.upload(http.MethodPost, owner(docsURL(P1)), "a.doc", "x").Object()["data"].(map[string]any)
	path := owner(docsURL(P1) + "/" + doc["id"].(string))
	planBefore := e.plan(P1)["dateModified"]
	e.AdvanceClock("1s")
	resp := e.as("broker", http.MethodPatch, path, map[string]any{"data": map[string]any{"description": "x", "url": "ignored", "hash": "md5:00000000000000000000000000000000"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	patched := resp.Object()["data"].(map[string]any)
	require.Equal(t, "x", patched["description"])
	require.Equal(t, doc["dateModified"], patched["dateModified"])
	require.Equal(t, doc["url"], patched["url"])
	require.Equal(t, doc["hash"], patched["hash"])
	require.NotEqual(t, planBefore, e.plan(P1)["dateModified"])
	again := e.as("broker", http.MethodPatch, path, map[string]any{"data": map[string]any{"description": "x"}})
	require.Equal(t, http.StatusOK, again.StatusCode)
	require.Equal(t, "null", string(again.Body))
	e.Control(http.MethodPut, "/_sandbox/prozorro/settings", map[string]any{"noopPatchBody": "object"}, 200)
	obj := e.as("broker", http.MethodPatch, path, map[string]any{"data": map[string]any{"description": "x"}})
	require.Equal(t, patched, obj.Object()["data"])
	bad := e.as("broker", http.MethodPatch, path, map[string]any{"data": map[string]any{"documentType": "illustration"}})
	require.Equal(t, 422, bad.StatusCode)
	require.Contains(t, string(bad.Body), `{"description": ["Value must be one of ['tenderNotice', 'awardNotice', `)
	require.Contains(t, string(bad.Body), `'registerExtract']."], "location": "body", "name": "documentType"}`)
	removed := e.as("broker", http.MethodPatch, path, map[string]any{"data": map[string]any{"description": nil}})
	require.NotContains(t, removed.Object()["data"], "description")
	forbidden(t, e.as("broker1", http.MethodPatch, path, map[string]any{"data": map[string]any{"description": "y"}}))
	requireError(t, e.as("broker", http.MethodPatch, path, "x", "Content-Type", "text/plain"), 415, "header", "Content-Type", nil)
}

// PL-20
func TestDocuments_Refusals(t *testing.T) {
	e := newEnv(t)
	forbidden(t, e.as("broker1", http.MethodPost, owner(docsURL(P1)), seedDocument()))
	requireError(t, e.as("broker", http.MethodPost, owner(docsURL(P1)), "x", "Content-Type", "text/plain"), 404, "body", "file", "Not Found")
	body := seedDocument()
	body["data"].(map[string]any)["url"] = "http://example.com/x.pdf"
	requireError(t, e.as("broker", http.MethodPost, owner(docsURL(P1)), body), 403, "body", "url", "Can add document only from document service.")
	body = seedDocument()
	delete(body["data"].(map[string]any), "hash")
	resp := e.as("broker", http.MethodPost, owner(docsURL(P1)), body)
	require.JSONEq(t, `{"status": "error", "errors": [{"description": "This field is required.", "location": "body", "name": "hash"}]}`, string(resp.Body))
	body = seedDocument()
	body["data"].(map[string]any)["hash"] = "md5:xyz"
	requireError(t, e.as("broker", http.MethodPost, owner(docsURL(P1)), body), 422, "body", "hash", []any{"Hash value is wrong length."})
	// a multipart form cut before its closing boundary has no usable file part
	full, ctype := multipartBody(t, "a.doc", "", "abc")
	requireError(t, e.as("broker", http.MethodPost, owner(docsURL(P1)), full[:len(full)-10], "Content-Type", ctype), 404, "body", "file", "Not Found")
	require.NotContains(t, e.plan(P1), "documents", "nothing stored")

	e.Control(http.MethodPut, "/_sandbox/prozorro/settings", map[string]any{"docservice": "strict"}, 200)
	requireError(t, e.as("broker", http.MethodPost, owner(docsURL(P1)), seedDocument()), 403, "body", "url", "Can add document only from document service.")
	keyID, _ := e.docKey()
	reg := e.as("broker", http.MethodPost, "/prozorro/docservice/register", map[string]any{"data": map[string]any{"hash": "md5:00000000000000000000000000000000"}})
	require.Equal(t, http.StatusCreated, reg.StatusCode, string(reg.Body))
	issued := reg.Object()["data"].(map[string]any)["url"].(string)
	wrongKey := strings.Replace(issued, "KeyID="+keyID, "KeyID=00000000", 1)
	body = seedDocument()
	body["data"].(map[string]any)["url"] = wrongKey
	requireError(t, e.as("broker", http.MethodPost, owner(docsURL(P1)), body), 422, "body", "url", "Document url expired.")
	body["data"].(map[string]any)["url"] = strings.Replace(issued, "Signature=", "Signature=AAAA", 1)
	requireError(t, e.as("broker", http.MethodPost, owner(docsURL(P1)), body), 422, "body", "url", "Document url signature invalid.")
	body["data"].(map[string]any)["hash"] = "md5:11111111111111111111111111111111"
	body["data"].(map[string]any)["url"] = issued
	requireError(t, e.as("broker", http.MethodPost, owner(docsURL(P1)), body), 422, "body", "url", "Document url invalid.")
	body["data"].(map[string]any)["hash"] = "md5:00000000000000000000000000000000"
	resp = e.as("broker", http.MethodPost, owner(docsURL(P1)), body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(resp.Body))
}

// PZ-28
func TestDocuments_DocserviceRoundTrip(t *testing.T) {
	e := newEnv(t)
	body, ctype := multipartBody(t, "file.txt", "text/plain", "hello docs")
	resp := e.as("broker", http.MethodPost, "/prozorro/docservice/upload", body, "Content-Type", ctype)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(resp.Body))
	obj := resp.Object()
	data := obj["data"].(map[string]any)
	sum := md5.Sum([]byte("hello docs"))
	hash := "md5:" + hex.EncodeToString(sum[:])
	require.Equal(t, hash, data["hash"])
	require.Equal(t, "text/plain", data["format"])
	require.Equal(t, "file.txt", data["title"])
	require.NotEmpty(t, data["url"])
	getURL := strings.TrimPrefix(obj["get_url"].(string), e.URL)
	got := e.Do(http.MethodGet, getURL, nil)
	require.Equal(t, "hello docs", string(got.Body))
	u, _ := url.Parse(getURL)
	q := u.Query()
	q.Set("Signature", "AAAA"+q.Get("Signature")[4:])
	tampered := u.Path + "?" + q.Encode()
	requireError(t, e.Do(http.MethodGet, tampered, nil), 403, "url", "Signature", "Signature does not match")
	requireError(t, e.Do(http.MethodGet, strings.Replace(getURL, "KeyID=", "KeyID=x", 1), nil), 403, "url", "KeyID", "Key Id does not exist")
	e.AdvanceClock("301s")
	requireError(t, e.Do(http.MethodGet, getURL, nil), 403, "url", "Expires", "Request has expired")

	reg := e.as("broker", http.MethodPost, "/prozorro/docservice/register", "hash="+hash, "Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, http.StatusCreated, reg.StatusCode, string(reg.Body))
	uploadURL := strings.TrimPrefix(reg.Object()["upload_url"].(string), e.URL)
	require.Equal(t, e.URL+uploadURL, reg.Header.Get("Location"))
	other, octype := multipartBody(t, "file.txt", "text/plain", "other bytes")
	requireError(t, e.as("broker", http.MethodPost, uploadURL, other, "Content-Type", octype), 403, "body", "file", "Invalid checksum")
	ok := e.as("broker", http.MethodPost, uploadURL, body, "Content-Type", ctype)
	require.Equal(t, http.StatusOK, ok.StatusCode, string(ok.Body))
	requireError(t, e.as("broker", http.MethodPost, uploadURL, body, "Content-Type", ctype), 403, "url", "doc_id", "Content already uploaded")

	forbidden(t, e.as("", http.MethodPost, "/prozorro/docservice/register", map[string]any{"data": map[string]any{"hash": hash}}))
	requireError(t, e.as("broker", http.MethodPost, "/prozorro/docservice/register", map[string]any{"data": map[string]any{}}), 404, "body", "hash", "Not Found")
	requireError(t, e.as("broker", http.MethodPost, "/prozorro/docservice/register", map[string]any{"data": map[string]any{"hash": "sha9:00"}}), 422, "body", "hash", []any{"Hash type is not supported."})
	requireError(t, e.as("broker", http.MethodPost, "/prozorro/docservice/upload", "x", "Content-Type", "text/plain"), 404, "body", "file", "Not Found")
	requireError(t, e.Do(http.MethodGet, "/prozorro/docservice/get/nosuch?KeyID="+q.Get("KeyID")+"&Signature=x", nil), 403, "url", "Signature", "Signature invalid")
}

// AU-47's mechanism on plan documents and the docservice: a forced failure
// refuses the next multipart upload and stores nothing.
func TestDocuments_ForcedDocserviceFailure(t *testing.T) {
	e := newEnv(t)
	e.Control(http.MethodPost, "/_sandbox/prozorro/outcomes", map[string]any{"outcome": "docservice.failure", "count": 2}, 201)
	requireError(t, e.upload(http.MethodPost, owner(docsURL(P1)), "a.doc", "x"), 422, "body", "data", "Can't upload document to document service.")
	body, ctype := multipartBody(t, "file.txt", "text/plain", "x")
	resp := e.as("broker", http.MethodPost, "/prozorro/docservice/upload", body, "Content-Type", ctype)
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	require.JSONEq(t, `{"status":"error","errors":[{"description":"Upload failed, please try again later"}]}`, string(resp.Body))
	require.NotContains(t, e.plan(P1), "documents")
	require.Equal(t, http.StatusCreated, e.upload(http.MethodPost, owner(docsURL(P1)), "a.doc", "x").StatusCode)
}
