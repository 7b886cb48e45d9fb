package main

import (
	"database/sql"
	"encoding/json"
	"flag"
	"log"
	"net/http"

	_ "github.com/mattn/go-sqlite3"
)

func openDB(path string) *sql.DB {
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS bookmarks (id INTEGER PRIMARY KEY, url TEXT NOT NULL)`); err != nil {
		log.Fatal(err)
	}
	return db
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":9090", "listen address")
	dbPath := fs.String("db", "bookmarks.db", "SQLite database file")
	fs.Parse(args)
	db := openDB(*dbPath)

	http.HandleFunc("/api/bookmarks", func(w http.ResponseWriter, r *http.Request) {
		rows, err := db.Query(`SELECT id, url FROM bookmarks ORDER BY id`)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer rows.Close()
		type bookmark struct {
			ID  int    `json:"id"`
			URL string `json:"url"`
		}
		out := []bookmark{}
		for rows.Next() {
			var b bookmark
			rows.Scan(&b.ID, &b.URL)
			out = append(out, b)
		}
		json.NewEncoder(w).Encode(out)
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var version string
		db.QueryRow(`SELECT sqlite_version()`).Scan(&version)
		w.Write([]byte("linkding-lite on sqlite " + version + "\n"))
	})
	log.Printf("serving on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
