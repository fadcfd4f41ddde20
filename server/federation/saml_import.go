package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/lintel-id/lintel/internal/invalid"
)

// FetchSAMLMetadata imports an identity provider's SAML metadata from
// rawURL (Config.SAMLMetadataURL) through the egress client: at most
// MaxSAMLMetadataLen bytes, and only a document the SAML sign-in can use.
// A URL that is not https (or http on loopback) or a document that is not
// usable metadata is ErrConfig naming config.saml_metadata_url; a
// provider that cannot be reached or answers an error is ErrUpstream.
// Call it outside a transaction: it waits on the network.
func (s *Service) FetchSAMLMetadata(ctx context.Context, rawURL string) (string, error) {
	const field = "config.saml_metadata_url"
	if err := checkIdPURL(field, rawURL, true); err != nil {
		return "", errors.Join(ErrConfig, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", errors.Join(ErrConfig, invalid.Field(field, "is not a valid URL"))
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8")
	resp, err := s.d.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: fetch SAML metadata: %w", ErrUpstream, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: fetch SAML metadata: status %d", ErrUpstream, resp.StatusCode)
	}
	doc, err := io.ReadAll(io.LimitReader(resp.Body, MaxSAMLMetadataLen+1))
	if err != nil {
		return "", fmt.Errorf("%w: fetch SAML metadata: %w", ErrUpstream, err)
	}
	if len(doc) > MaxSAMLMetadataLen {
		return "", errors.Join(ErrConfig, invalid.Field(field, "names a document of more than %d bytes", MaxSAMLMetadataLen))
	}
	if _, err := parseSAMLMetadata(string(doc)); err != nil {
		return "", errors.Join(ErrConfig, invalid.Field(field, "names no usable SAML metadata: %v", err))
	}
	return string(doc), nil
}
