// notesync is the command-line client: notesync add TEXT, notesync list.
package main

import (
	"fmt"
	"io/ioutil"
	"net/http"
	"os"
	"strings"
)

func main() {
	server := os.Getenv("NOTESYNC_SERVER")
	if server == "" {
		server = "http://localhost:7070"
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: notesync add TEXT | notesync list")
		os.Exit(2)
	}
	var resp *http.Response
	var err error
	switch os.Args[1] {
	case "add":
		resp, err = http.Post(server+"/notes", "text/plain", strings.NewReader(strings.Join(os.Args[2:], " ")))
	case "list":
		resp, err = http.Get(server + "/notes")
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	out, _ := ioutil.ReadAll(resp.Body)
	fmt.Print(string(out))
}
