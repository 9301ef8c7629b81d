package web

// AssetLink is the address of a file under /assets/ with its content's
// version, as the layout links its own stylesheet and script, so a page
// that needs one more (the designer's diagram) may link it and browsers
// may cache it; "" when `make assets` has not built the file.
func (s *Site) AssetLink(name string) string {
	if a := s.assets.files[name]; a != nil {
		return "/assets/" + name + "?v=" + a.version
	}
	return ""
}
