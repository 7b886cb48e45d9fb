// notesyncd is the sync daemon the notesync CLI talks to.
package main

import (
	"encoding/json"
	"flag"
	"io/ioutil"
	"log"
	"net/http"

	"github.com/example/notesync/internal/store"
)

func main() {
	addr := flag.String("listen", ":7070", "address to listen on")
	flag.Parse()

	s := store.New()
	http.HandleFunc("/notes", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := ioutil.ReadAll(r.Body)
			json.NewEncoder(w).Encode(s.Add(string(body)))
			return
		}
		json.NewEncoder(w).Encode(s.All())
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("notesyncd ok\n"))
	})
	log.Printf("notesyncd listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
