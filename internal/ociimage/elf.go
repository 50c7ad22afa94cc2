package ociimage

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
)

// ErrNotStatic is wrapped by CheckStaticLinuxAMD64 when a file is not a
// statically linked linux/amd64 executable.
var ErrNotStatic = errors.New("not a static linux/amd64 executable")

// CheckStaticLinuxAMD64 reports whether r holds a statically linked 64-bit
// x86 ELF executable: no program interpreter and no shared libraries, so
// it runs in an image that has nothing else.
func CheckStaticLinuxAMD64(r io.ReaderAt) error {
	f, err := elf.NewFile(r)
	if err != nil {
		return fmt.Errorf("%w: not an ELF file (%v)", ErrNotStatic, err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 {
		return fmt.Errorf("%w: built for %s/%s", ErrNotStatic, f.Class, f.Machine)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("%w: ELF type %s is not an executable", ErrNotStatic, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp := make([]byte, p.Filesz)
			_, _ = p.ReadAt(interp, 0)
			return fmt.Errorf("%w: dynamically linked (interpreter %s)", ErrNotStatic, trimNUL(interp))
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Errorf("%w: needs shared libraries %v", ErrNotStatic, libs)
	}
	return nil
}

func trimNUL(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
