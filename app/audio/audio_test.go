package audio

import "testing"

// TestSniff: a recording's type comes from its first bytes, whatever its name or the type
// the browser gave it.
func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want string
	}{
		{"WebM from Chromium", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", "audio/webm"},
		{"M4A from an iPhone", "\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00", "audio/mp4"},
		{"MP4 from Chromium", "\x00\x00\x00\x18ftypisom", "audio/mp4"},
		{"Ogg", "OggS\x00\x02\x00\x00", "audio/ogg"},
		{"MP3 with a tag", "ID3\x04\x00\x00", "audio/mpeg"},
		{"MP3 without one", "\xff\xfb\x90\x64", "audio/mpeg"},
		{"JPEG", "\xff\xd8\xff\xe0\x00\x10JFIF", ""},
		{"PNG", "\x89PNG\r\n\x1a\n", ""},
		{"AMR", "#!AMR\n", ""},
		{"HTML", "<html><script>", ""},
		{"too short for a box", "\x00\x00ftyp", ""},
		{"nothing", "", ""},
	} {
		if got := Sniff([]byte(tc.data)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
