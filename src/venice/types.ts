import type { Quality } from './schemas.js';

export type ImageFormat = 'webp' | 'png' | 'jpeg';

/** The body of `POST /image/generate` as the bot sends it: a subset of the spec's GenerateImageRequest. */
export interface GenerateImageBody {
  model: string;
  prompt: string;
  negative_prompt?: string;
  width?: number;
  height?: number;
  aspect_ratio?: string;
  resolution?: string;
  quality?: Quality;
  steps?: number;
  cfg_scale?: number;
  seed?: number;
  style_preset?: string;
  format?: ImageFormat;
  hide_watermark?: boolean;
  safe_mode?: boolean;
  enhance_prompt?: boolean;
  enable_web_search?: boolean;
  variants?: number;
  return_binary?: boolean;
}

/** The body of the OpenAI-compatible `POST /images/generations`. */
export interface OpenAiImageBody {
  prompt: string;
  model?: string;
  n?: 1;
  size?: string;
  response_format?: 'b64_json';
  output_format?: ImageFormat;
  moderation?: 'auto' | 'low';
}

export interface DeprecationNotice {
  warning?: string;
  date?: string;
  replacement?: string;
}

/** What one HTTP response of Venice decided about its images. */
export interface GeneratedImages {
  images: Buffer[];
  format: ImageFormat;
  /** One verdict per HTTP response, covering every image in it. */
  blurred: boolean;
  contentViolation: boolean;
  deprecation?: DeprecationNotice;
  requestId?: string;
  timingMs?: number;
  balanceUsd?: number;
}

/** `POST /image/upscale`'s answer: the PNG, and the same per-response verdicts as a generation's. */
export interface UpscaledImage {
  image: Buffer;
  /** Safe mode blurred the output. */
  blurred: boolean;
  /** Venice blocked the image: the bytes are a placeholder, not the result, and it was not charged. */
  contentViolation: boolean;
  requestId?: string;
  balanceUsd?: number;
}

/** `POST /image/edit` as the bot sends it (JSON, the image as base64): a subset of the spec's EditImageRequest. */
export interface EditImageBody {
  model: string;
  prompt: string;
  image: string;
  aspect_ratio?: string;
  resolution?: string;
  output_format?: ImageFormat;
  safe_mode?: boolean;
}

/** `POST /image/multi-edit`: the model is `modelId` there, and the first image is the base. */
export interface MultiEditImageBody {
  modelId: string;
  prompt: string;
  images: string[];
  aspect_ratio?: string;
  resolution?: string;
  output_format?: ImageFormat;
  safe_mode?: boolean;
}

/** What an editing endpoint answered: the image itself, with the response's verdicts. */
export interface EditedImage {
  image: Buffer;
  format: ImageFormat;
  blurred: boolean;
  contentViolation: boolean;
  /** The edit model is going away (the spec's deprecation headers on /image/edit and /image/multi-edit). */
  deprecation?: DeprecationNotice;
  requestId?: string;
}

/** One part of a user message: text, or an image (a `data:` URL of its bytes, or a public URL). */
export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

/** The body of `POST /chat/completions` as the bot sends it: a subset of the spec's ChatCompletionRequest. */
export interface ChatCompletionBody {
  model: string;
  messages: Array<{ role: 'user'; content: string | ChatContentPart[] }>;
  max_completion_tokens?: number;
  temperature?: number;
  n?: 1;
  stream?: false;
  venice_parameters?: {
    include_venice_system_prompt?: boolean;
    strip_thinking_response?: boolean;
    disable_thinking?: boolean;
  };
}

/** What one chat completion answered: the first choice's text and what Venice counted. */
export interface ChatCompletionResult {
  text: string;
  finishReason: string | undefined;
  /** Tokens Venice counted, when it said (the spec lists `usage` on every non-streamed answer). */
  usage: { promptTokens: number; completionTokens: number } | undefined;
  /** Venice's own figure for the request, when it sent one. */
  costUsd: number | undefined;
  requestId?: string;
}
