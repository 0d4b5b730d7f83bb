package course

import (
	"os"
	"testing"
)

func TestRealCourses(t *testing.T) {
	cat, findings, err := Load(os.DirFS("../../courses"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Error(f)
	}
	t.Logf("%d courses, %d lessons", len(cat.Courses), cat.LessonCount())
}
