// linkding-lite: a bookmark service. `linkding-lite serve` runs the HTTP server,
// `linkding-lite import FILE` loads bookmarks from a text file.
package main

import (
	"fmt"
	"os"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: linkding-lite <serve|import> [flags]")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "import":
		importFile(os.Args[2:])
	default:
		usage()
	}
}
