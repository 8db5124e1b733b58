package openapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/upstream-sandbox/sandbox/openapi"
)

const doc = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string, pattern: '^[a-z]+$'}}
    get:
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 10}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [data]
                properties:
                  data: {type: object}
        "302":
          description: redirect
`

func TestEmbeddedDocumentsLoad(t *testing.T) {
	require.NotEmpty(t, openapi.Services())
	for _, svc := range openapi.Services() {
		_, err := openapi.Load(svc)
		require.NoError(t, err, svc)
	}
}

func TestRouteMiddleware(t *testing.T) {
	d, err := openapi.Parse("t", []byte(doc))
	require.NoError(t, err)
	r := mux.NewRouter()
	var failed error
	r.Use(d.RouteMiddleware(openapi.RequestOptions{}, func(w http.ResponseWriter, _ *http.Request, err error) {
		failed = err
		w.WriteHeader(http.StatusBadRequest)
	}))
	r.HandleFunc("/things/{id}", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/undocumented", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	cases := []struct {
		path string
		want int
	}{
		{"/things/abc", 200},
		{"/things/abc?limit=5", 200},
		{"/things/abc?limit=50", 400},
		{"/things/abc?limit=x", 400},
		{"/things/ABC", 400},
		{"/undocumented", 200},
	}
	for _, c := range cases {
		failed = nil
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
		require.Equal(t, c.want, rec.Code, c.path)
		require.Equal(t, c.want == 400, failed != nil, c.path)
	}
}

func TestValidateResponse(t *testing.T) {
	d, err := openapi.Parse("t", []byte(doc))
	require.NoError(t, err)
	json := http.Header{"Content-Type": {"application/json"}}
	require.NoError(t, d.ValidateResponse("GET", "/things/abc", "", 200, json, []byte(`{"data":{}}`)))
	require.Error(t, d.ValidateResponse("GET", "/things/abc", "", 200, json, []byte(`{"other":1}`)))
	require.Error(t, d.ValidateResponse("GET", "/things/abc", "", 500, json, []byte(`{}`)), "undeclared status")
	require.Error(t, d.ValidateResponse("GET", "/things/abc", "", 200, http.Header{"Content-Type": {"text/html"}}, []byte(`<p>`)), "undeclared media type")
	require.NoError(t, d.ValidateResponse("GET", "/things/abc", "", 302, http.Header{"Content-Type": {"application/pdf"}}, nil), "a bodiless redirect may carry any type")
	require.NoError(t, d.ValidateResponse("HEAD", "/things/abc", "", 200, json, nil))
	require.NoError(t, d.ValidateResponse("GET", "/nosuch", "", 404, json, nil), "unknown paths are the service's 404")
	require.Error(t, d.ValidateResponse("GET", "/nosuch", "", 200, json, nil))
}
