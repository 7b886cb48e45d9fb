package main

import (
	"bufio"
	"flag"
	"log"
	"os"
	"strings"
)

func importFile(args []string) {
	fs := flag.NewFlagSet("import", flag.ExitOnError)
	dbPath := fs.String("db", "bookmarks.db", "SQLite database file")
	fs.Parse(args)
	if fs.NArg() != 1 {
		log.Fatal("import needs one FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	db := openDB(*dbPath)
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if url := strings.TrimSpace(scanner.Text()); url != "" {
			db.Exec(`INSERT INTO bookmarks (url) VALUES (?)`, url)
		}
	}
}
