package access

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"golang.org/x/crypto/bcrypt"
)

// staffFile is the shape of staff.yaml.
type staffFile struct {
	// Users are the people who sign in to the staff pages.
	Users []userEntry `yaml:"users"`
	// APIClients are the council systems that call the staff API.
	APIClients []clientEntry `yaml:"api_clients"`
}

// userEntry is one user as written.
type userEntry struct {
	// Username signs in: lower case, no spaces, like pat or pat.jones.
	Username string `yaml:"username"`
	// Name is shown to colleagues.
	Name string `yaml:"name"`
	// Role is staff, supervisor or admin.
	Role string `yaml:"role"`
	// Queues are the teams whose tasks the user works; required but for
	// admins, who work every queue.
	Queues []string `yaml:"queues"`
	// PasswordHash is a bcrypt hash, from larder staff password.
	PasswordHash string `yaml:"password_hash"`
}

// clientEntry is one API client as written.
type clientEntry struct {
	// Name identifies the client in the log and in what it does.
	Name string `yaml:"name"`
	// TokenEnv names the environment variable holding the client's
	// bearer token, so the token stays out of the file.
	TokenEnv string `yaml:"token_env"`
	// Queues are the queues whose tasks the client may list and work.
	Queues []string `yaml:"queues"`
}

// MinTokenLength is the shortest bearer token an API client may have.
const MinTokenLength = 16

var (
	usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)
	envPattern      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// LoadFile reads staff.yaml. A missing file is an error that
// errors.Is(err, os.ErrNotExist); the caller decides whether that means
// no staff. Every problem is reported as file:line:col: key: message.
func LoadFile(path string) (*Directory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read staff: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a staff.yaml held in memory; file names it in errors. API
// clients' tokens are read from the environment variables the file names.
func Parse(file string, data []byte) (*Directory, error) {
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, decodeProblem(file, err)
	}
	var f staffFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return nil, decodeProblem(file, err)
	}
	c := checker{file: file, tree: tree}
	d := &Directory{accounts: map[string]account{}}
	for i, u := range f.Users {
		if a, ok := c.user(i, u, f.Users[:i]); ok {
			d.accounts[a.user.Username] = a
		}
	}
	for i, e := range f.APIClients {
		if fc, ok := c.client(i, e, d.clients); ok {
			d.clients = append(d.clients, fc)
		}
	}
	if err := errors.Join(c.problems...); err != nil {
		return nil, err
	}
	return d, nil
}

// checker collects the problems of one staff.yaml, each at its place.
type checker struct {
	file     string
	tree     *ast.File
	problems []error
}

// problem notes a message about key (users[2].role), at the key's value
// or, when it is missing, at the nearest enclosing entry.
func (c *checker) problem(key, format string, args ...any) {
	line, col := position(c.tree, "$."+key)
	c.problems = append(c.problems, fmt.Errorf("%s:%d:%d: %s: %s", c.file, line, col, key, fmt.Sprintf(format, args...)))
}

func (c *checker) user(i int, u userEntry, before []userEntry) (account, bool) {
	at := fmt.Sprintf("users[%d]", i)
	n := len(c.problems)
	switch {
	case u.Username == "":
		c.problem(at+".username", "is missing: give the name they sign in with, like pat.jones")
	case u.Username != strings.ToLower(u.Username):
		c.problem(at+".username", "%q has capitals: write it in lower case (%s); sign-in ignores case", u.Username, strings.ToLower(u.Username))
	case !usernamePattern.MatchString(u.Username):
		c.problem(at+".username", "%q is not a username: use up to 64 lower-case letters, digits and . _ @ -, like pat.jones", u.Username)
	default:
		for j, b := range before {
			if b.Username == u.Username {
				c.problem(at+".username", "%s is also users[%d]: each user is listed once", u.Username, j)
				break
			}
		}
	}
	if strings.TrimSpace(u.Name) == "" {
		c.problem(at+".name", "is missing: give the name colleagues know them by, like Pat Jones")
	}
	role := Role(u.Role)
	switch role {
	case RoleStaff, RoleSupervisor:
		if len(u.Queues) == 0 {
			c.problem(at+".queues", "is empty: a %s works the tasks of their queues, so list at least one, like [street-scene]", role)
		}
	case RoleAdmin:
	default:
		c.problem(at+".role", "%q is not a role: use staff, supervisor or admin", u.Role)
	}
	c.queues(at, u.Queues)
	if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
		c.problem(at+".password_hash", "is not a bcrypt hash: make one with larder staff password")
	}
	if len(c.problems) > n {
		return account{}, false
	}
	return account{
		user: User{Username: u.Username, Name: strings.TrimSpace(u.Name), Role: role, Queues: u.Queues},
		hash: []byte(u.PasswordHash),
	}, true
}

func (c *checker) client(i int, e clientEntry, before []fileClient) (fileClient, bool) {
	at := fmt.Sprintf("api_clients[%d]", i)
	n := len(c.problems)
	switch e.Name {
	case "":
		c.problem(at+".name", "is missing: name the system calling, like crm")
	case StaffTokenClient:
		c.problem(at+".name", "%s names the client of LARDER_STAFF_TOKEN: choose another name", e.Name)
	}
	for j, b := range before {
		if b.client.Name == e.Name && e.Name != "" {
			c.problem(at+".name", "%s is also api_clients[%d]: give each client its own name", e.Name, j)
		}
	}
	if len(e.Queues) == 0 {
		c.problem(at+".queues", "is empty: list the queues whose tasks the client may work, like [street-scene]")
	}
	c.queues(at, e.Queues)
	var digest [sha256.Size]byte
	token, set := "", false
	switch {
	case e.TokenEnv == "":
		c.problem(at+".token_env", "is missing: name the environment variable holding the client's token, like LARDER_CRM_TOKEN")
	case !envPattern.MatchString(e.TokenEnv):
		c.problem(at+".token_env", "%q is not an environment variable's name: use letters, digits and _, like LARDER_CRM_TOKEN", e.TokenEnv)
	default:
		token, set = os.LookupEnv(e.TokenEnv)
		switch {
		case !set || token == "":
			c.problem(at+".token_env", "%s is not set: set it to the client's bearer token (openssl rand -hex 32 makes one)", e.TokenEnv)
		case len(token) < MinTokenLength:
			c.problem(at+".token_env", "%s holds a token shorter than %d characters: use a long random one (openssl rand -hex 32)", e.TokenEnv, MinTokenLength)
		default:
			digest = sha256.Sum256([]byte(token))
			for j, b := range before {
				if b.digest == digest {
					c.problem(at+".token_env", "%s holds the same token as %s of api_clients[%d]: give each client its own", e.TokenEnv, b.tokenEnv, j)
				}
			}
		}
	}
	if len(c.problems) > n {
		return fileClient{}, false
	}
	return fileClient{client: Client{Name: e.Name, Queues: e.Queues}, tokenEnv: e.TokenEnv, digest: digest}, true
}

// queues refuses a blank queue name in a list.
func (c *checker) queues(at string, queues []string) {
	for k, q := range queues {
		if strings.TrimSpace(q) == "" {
			c.problem(fmt.Sprintf("%s.queues[%d]", at, k), "is empty: name a queue, like street-scene")
		}
	}
}

// decodeProblem places a YAML syntax or shape error at its line.
func decodeProblem(file string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return fmt.Errorf("%s:%d:%d: %s", file, tk.Position.Line, tk.Position.Column, ye.GetMessage())
		}
	}
	return fmt.Errorf("%s: %w", file, err)
}

// position finds the line and column of a YAML path such as
// $.users[2].role, falling back to the nearest parent that exists.
func position(tree *ast.File, path string) (int, int) {
	for path != "" && path != "$" {
		if p, err := yaml.PathString(path); err == nil {
			if n, err := p.FilterFile(tree); err == nil && n != nil {
				// A mapping's token is its first colon: point at its first key.
				if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
					n = m.Values[0].Key
				}
				if tk := n.GetToken(); tk != nil && tk.Position != nil {
					return tk.Position.Line, tk.Position.Column
				}
			}
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 1, 1
}
