module github.com/example/notesync

go 1.15
