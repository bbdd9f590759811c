import { z } from 'zod';

/*
 * zod schemas for what Venice answers, listing only the fields the bot uses. Unknown fields
 * are dropped, so Venice adding a field never breaks the bot; a field we rely on changing
 * type is caught here instead of deep inside a command.
 */

const usd = z.object({ usd: z.number() });

export const QUALITIES = ['low', 'medium', 'high'] as const;
export type Quality = (typeof QUALITIES)[number];

export const imageConstraintsSchema = z.object({
  promptCharacterLimit: z.number().int().positive().optional(),
  steps: z.object({ default: z.number(), max: z.number() }).optional(),
  widthHeightDivisor: z.number().int().positive().optional(),
  aspectRatios: z.array(z.string()).optional(),
  defaultAspectRatio: z.string().optional(),
  resolutions: z.array(z.string()).optional(),
  defaultResolution: z.string().optional(),
  qualities: z.array(z.enum(QUALITIES)).optional(),
  defaultQuality: z.enum(QUALITIES).optional(),
});

export const imagePricingSchema = z.object({
  generation: usd.optional(),
  resolutions: z.record(z.string(), usd).optional(),
  quality: z.record(z.string(), z.partialRecord(z.enum(QUALITIES), usd)).optional(),
  upscale: z.partialRecord(z.enum(['2x', '4x']), usd).optional(),
});

export const imageModelSchema = z.object({
  id: z.string().min(1),
  type: z.string().optional(),
  model_spec: z.object({
    name: z.string().optional(),
    offline: z.boolean().optional(),
    uncensored: z.boolean().optional(),
    betaModel: z.boolean().optional(),
    traits: z.array(z.string()).optional(),
    deprecation: z.object({ date: z.string().optional(), replacementModelId: z.string().optional() }).optional(),
    pricing: imagePricingSchema.optional(),
    constraints: imageConstraintsSchema.optional(),
    capabilities: z.object({ supportsWebSearch: z.boolean().optional() }).optional(),
  }),
});
export type ImageModelWire = z.infer<typeof imageModelSchema>;

/** An edit ("inpaint") model, from `GET /models?type=inpaint`: the spec's Inpaint Model Constraints. */
export const editModelSchema = z.object({
  id: z.string().min(1),
  model_spec: z.object({
    name: z.string().optional(),
    offline: z.boolean().optional(),
    uncensored: z.boolean().optional(),
    pricing: z
      .object({
        inpaint: usd.optional(),
        resolutions: z.record(z.string(), usd).optional(),
        quality: z.record(z.string(), z.partialRecord(z.enum(QUALITIES), usd)).optional(),
        inputImages: z.object({ included: z.number().int().min(0), additional: usd }).optional(),
      })
      .optional(),
    constraints: z
      .object({
        promptCharacterLimit: z.number().int().positive().optional(),
        aspectRatios: z.array(z.string()).optional(),
        combineImages: z.boolean().optional(),
        maxInputImages: z.number().int().positive().optional(),
        resolutions: z.array(z.string()).optional(),
        defaultResolution: z.string().optional(),
        qualities: z.array(z.enum(QUALITIES)).optional(),
        defaultQuality: z.enum(QUALITIES).optional(),
      })
      .optional(),
  }),
});
export type EditModelWire = z.infer<typeof editModelSchema>;

/** A text model, from `GET /models?type=text`: what /describe needs to pick a vision model and price it. */
export const textModelSchema = z.object({
  id: z.string().min(1),
  model_spec: z.object({
    name: z.string().optional(),
    offline: z.boolean().optional(),
    traits: z.array(z.string()).optional(),
    maxCompletionTokens: z.number().positive().optional(),
    capabilities: z.object({ supportsVision: z.boolean().optional() }).optional(),
    /** USD per million tokens. */
    pricing: z.object({ input: usd.optional(), output: usd.optional() }).optional(),
  }),
});
export type TextModelWire = z.infer<typeof textModelSchema>;

const textPart = z.object({ type: z.literal('text'), text: z.string() });

/** `POST /chat/completions`' answer (the spec's ChatCompletion, not streamed): the text, the tokens and Venice's cost. */
export const chatCompletionResponseSchema = z.object({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z.array(
    z.object({
      finish_reason: z.string().nullable().optional(),
      message: z.object({
        // A string, or text parts; null when the model answered with tool calls only.
        content: z.union([z.string(), z.array(z.union([textPart, z.object({ type: z.string() })])), z.null()]).optional(),
      }),
    }),
  ),
  usage: z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) }).optional(),
  cost: z.object({ usd: z.number().min(0) }).optional(),
});

/** The list is parsed loosely (array of unknown) so one odd model is skipped, not the catalogue. */
export const modelListSchema = z.object({ data: z.array(z.unknown()) });

export const traitsSchema = z.object({ data: z.record(z.string(), z.string()) });

export const stylesSchema = z.object({ data: z.array(z.string()) });

export const generateResponseSchema = z.object({
  id: z.string().optional(),
  images: z.array(z.string()).min(1),
  timing: z
    .object({
      inferenceDuration: z.number().optional(),
      inferencePreprocessingTime: z.number().optional(),
      inferenceQueueTime: z.number().optional(),
      total: z.number().optional(),
    })
    .optional(),
});

export const openAiImagesResponseSchema = z.object({
  created: z.number().optional(),
  data: z
    .array(z.union([z.object({ b64_json: z.string() }), z.object({ url: z.string() })]))
    .min(1),
});

/** Venice's error bodies: `{ error }`, with `details` on validation errors. */
export const errorBodySchema = z.object({
  error: z.string().optional(),
  message: z.string().optional(),
  code: z.string().optional(),
  details: z.unknown().optional(),
});
