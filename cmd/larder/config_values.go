package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/forms/web"
)

// parse checks every setting and converts it to its type.
func (r rawConfig) parse(from sources) (Config, error) {
	var c Config
	var problems []error
	for _, s := range settings {
		text := *s.raw(&r)
		if problem := s.kind.parse(&c, text); problem != "" {
			shown := text
			if s.secret && text != "" {
				shown = mask(text)
			}
			problems = append(problems, fmt.Errorf("%s: %q from %s %s", s.key, shown, from.of(s.key), problem))
		}
	}
	return c, errors.Join(problems...)
}

// kind parses a setting's text into its Config field, or says what is
// wrong with it and what to write instead; show gives it back for the log.
type kind struct {
	parse func(c *Config, text string) (problem string)
	show  func(c *Config) string
	// list kinds also take a YAML list.
	list bool
	// boolean kinds are a switch on the command line: --dev, not --dev true.
	boolean bool
}

// asString keeps text that check (if any) accepts.
func asString(field func(*Config) *string, check func(string) string) kind {
	return kind{
		parse: func(c *Config, text string) string {
			if check != nil {
				if problem := check(text); problem != "" {
					return problem
				}
			}
			*field(c) = text
			return ""
		},
		show: func(c *Config) string { return *field(c) },
	}
}

// asList splits text at commas and checks each item.
func asList(field func(*Config) *[]string, check func(string) string) kind {
	return kind{
		parse: func(c *Config, text string) string {
			var items []string
			for _, item := range strings.Split(text, ",") {
				if item = strings.TrimSpace(item); item == "" {
					continue
				}
				if problem := check(item); problem != "" {
					return fmt.Sprintf("holds %q, which %s", item, problem)
				}
				items = append(items, item)
			}
			*field(c) = items
			return ""
		},
		show: func(c *Config) string { return strings.Join(*field(c), ",") },
		list: true,
	}
}

// asDates splits text at commas into dates written 2026-12-29, each
// midnight UTC.
func asDates(field func(*Config) *[]time.Time) kind {
	return kind{
		parse: func(c *Config, text string) string {
			var dates []time.Time
			for _, item := range strings.Split(text, ",") {
				if item = strings.TrimSpace(item); item == "" {
					continue
				}
				d, err := time.Parse(time.DateOnly, item)
				if err != nil {
					return fmt.Sprintf("holds %q, which is not a date (use 2026-12-29)", item)
				}
				dates = append(dates, d)
			}
			*field(c) = dates
			return ""
		},
		show: func(c *Config) string {
			days := make([]string, len(*field(c)))
			for i, d := range *field(c) {
				days[i] = d.Format(time.DateOnly)
			}
			return strings.Join(days, ",")
		},
		list: true,
	}
}

// asBool takes true or false, in any case; empty is false.
func asBool(field func(*Config) *bool) kind {
	return kind{
		parse: func(c *Config, text string) string {
			switch strings.ToLower(text) {
			case "true":
				*field(c) = true
			case "false", "":
				*field(c) = false
			default:
				return "is not true or false"
			}
			return ""
		},
		show:    func(c *Config) string { return strconv.FormatBool(*field(c)) },
		boolean: true,
	}
}

func asDuration(field func(*Config) *time.Duration, example string) kind {
	return kind{
		parse: func(c *Config, text string) string {
			d, err := time.ParseDuration(text)
			if err != nil {
				return "is not a duration (use " + example + ")"
			}
			if d <= 0 {
				return "is not longer than zero (use " + example + ")"
			}
			*field(c) = d
			return ""
		},
		show: func(c *Config) string { return shortDuration(*field(c)) },
	}
}

// asDurationOf is asDuration that also refuses a duration shorter than least.
func asDurationOf(field func(*Config) *time.Duration, least time.Duration, example string) kind {
	k := asDuration(field, example)
	parse := k.parse
	k.parse = func(c *Config, text string) string {
		if problem := parse(c, text); problem != "" {
			return problem
		}
		if *field(c) < least {
			return "is shorter than " + shortDuration(least) + " (use " + example + ")"
		}
		return ""
	}
	return k
}

// shortDuration drops a duration's zero minutes and seconds: 168h, not 168h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func asCount(field func(*Config) *int, example string) kind {
	return kind{
		parse: func(c *Config, text string) string {
			n, err := strconv.Atoi(text)
			if err != nil {
				return "is not a whole number (use " + example + ")"
			}
			if n < 0 {
				return "is below zero (use " + example + ")"
			}
			*field(c) = n
			return ""
		},
		show: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

func asLevel(field func(*Config) *slog.Level) kind {
	return kind{
		parse: func(c *Config, text string) string {
			if err := field(c).UnmarshalText([]byte(text)); err != nil {
				return "is not a log level (use debug, info, warn or error)"
			}
			return ""
		},
		show: func(c *Config) string { return strings.ToLower(field(c).String()) },
	}
}

// required refuses empty text.
func required(example string) func(string) string {
	return func(v string) string {
		if v == "" {
			return "is empty (use " + example + ")"
		}
		return ""
	}
}

// optional accepts empty text, and otherwise what check accepts.
func optional(check func(string) string) func(string) string {
	return func(v string) string {
		if v == "" {
			return ""
		}
		return check(v)
	}
}

// oneOf accepts one of choices, each a what.
func oneOf(what string, choices ...string) func(string) string {
	return func(v string) string {
		if slices.Contains(choices, v) {
			return ""
		}
		last := len(choices) - 1
		return "is not a " + what + " Larder knows (use " + strings.Join(choices[:last], ", ") + " or " + choices[last] + ")"
	}
}

// atLeast refuses text of fewer than n characters: a secret anyone could
// guess. The problem names the length, never the text.
func atLeast(n int) func(string) string {
	return func(v string) string {
		if utf8.RuneCountInString(v) < n {
			return fmt.Sprintf("is shorter than %d characters (use at least %d random ones, as openssl rand -hex %d prints)", n, n, n/2)
		}
		return ""
	}
}

func hostPort(example string) func(string) string {
	return func(v string) string {
		if _, port, err := net.SplitHostPort(v); err == nil && isPort(port) {
			return ""
		}
		return "is not host:port (use " + example + ")"
	}
}

func isPort(s string) bool {
	_, err := strconv.ParseUint(s, 10, 16)
	return err == nil
}

func httpURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "is not an http:// or https:// address (use https://forms.larchester.gov.example)"
	}
	return ""
}

// proxy accepts what gin's SetTrustedProxies does: an IP address or a CIDR range.
func proxy(v string) string {
	if _, err := netip.ParseAddr(v); err == nil {
		return ""
	}
	if _, err := netip.ParsePrefix(v); err == nil {
		return ""
	}
	return "is not an IP address or CIDR range (use 10.0.0.10 or 10.0.0.0/24)"
}

// logo accepts what forms/web does: a path on this site or an https URL.
func logo(v string) string {
	if (web.Branding{LogoURL: v}).Validate() != nil {
		return "is not a path on this site or an https URL (use /logo.svg or https://www.larchester.gov.example/logo.svg)"
	}
	return ""
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// colour accepts #rrggbb that forms/web finds readable; field is the
// colour's place in a Branding.
func colour(example string, field func(*web.Branding) *string) func(string) string {
	return func(v string) string {
		if !hexColour.MatchString(v) {
			return fmt.Sprintf("is not a colour (use %q; in YAML quote it, as an unquoted # starts a comment)", example)
		}
		var b web.Branding
		*field(&b) = v
		if err := b.Validate(); err != nil {
			msg := err.Error()
			return "is too light: " + msg[strings.LastIndex(msg, ": ")+2:]
		}
		return ""
	}
}

func redisURL(v string) string {
	if _, err := redis.ParseURL(v); err != nil {
		return "is not a Redis URL (use redis://:password@redis:6379/0, or empty for an embedded server)"
	}
	return ""
}

func postgresURL(v string) string {
	u, err := url.Parse(v)
	if err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") && u.Hostname() != "" && strings.Trim(u.Path, "/") != "" {
		return ""
	}
	return "is not a postgres:// URL naming a database (use postgres://temporal:password@db:5432/temporal, or empty for data_dir/temporal.db)"
}

func smtpURL(v string) string {
	u, err := url.Parse(v)
	if err == nil && (u.Scheme == "smtp" || u.Scheme == "smtps") && u.Hostname() != "" && (u.Port() == "" || isPort(u.Port())) {
		return ""
	}
	return "is not an smtp:// or smtps:// URL (use smtp://user:password@relay:587, or empty to write emails to data_dir/outbox)"
}

func mailbox(v string) string {
	if _, err := mail.ParseAddress(v); err != nil {
		return `is not an email address (use "Larchester Council <no-reply@larchester.gov.example>")`
	}
	return ""
}
