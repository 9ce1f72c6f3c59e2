/** One picture as packed 8-bit RGB, row-major, no padding: the currency between stages. */
export interface RgbFrame {
  /** 0-based position in the input video */
  index: number;
  width: number;
  height: number;
  data: Uint8Array;
}

export const rgbBytes = (width: number, height: number): number => width * height * 3;
