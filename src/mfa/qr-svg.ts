import { renderSVG } from 'uqr'

/** The otpauth URI as a QR code in SVG, for a page to show (authenticator apps scan it). */
export function qrSvg (uri: string): string {
  return renderSVG(uri, { ecc: 'M', border: 2 })
}
