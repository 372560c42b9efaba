/// The hand-written OpenAPI 3.1 description of the whole API, served at `GET /openapi.json` and rendered at
/// `GET /docs`. Every path and method here must be routed (the server tests check it, and that every example
/// matches its schema); add a route here when you add one to the router.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Spotter API",
    "version": "1.0.0",
    "description": "A self-hosted RAG assistant: a knowledge base with hybrid search, and grounded answers with citations.\n\n**Errors** are always `{\"error\": {\"code\": \"...\", \"message\": \"...\"}}` with status 400 (bad input: `invalid_parameter`, `malformed_json`, `unknown_field`, `invalid_filename`, `malformed_multipart`), 404 (`not_found` for an unknown route; `unknown_knowledge_base`, `unknown_document`, `unknown_session`, `unknown_assistant`, `unknown_answer`), 405 (`method_not_allowed`, with an `Allow` header), 413 (`body_too_large`, `query_too_long`, `message_too_long`), 415 (`unsupported_media_type`), 422 (`invalid_field`, `nothing_ingested`), 429 (`rate_limited`) 502 (`upstream_failed`: the language models failed once the answer had started) or 503 (`not_ready` with `Retry-After` while the server starts, `unavailable`).\n\n**JSON bodies** must be `Content-Type: application/json` (UTF-8) and at most 1 MB; unknown fields are refused."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8080"
    }
  ],
  "tags": [
    {
      "name": "Chat",
      "description": "Questions, answers and conversations."
    },
    {
      "name": "Knowledge",
      "description": "Documents and search."
    },
    {
      "name": "Operations",
      "description": "Health, readiness and this description."
    }
  ],
  "paths": {
    "/healthz": {
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "health",
        "summary": "The process is up",
        "description": "200 whenever the process answers, ready or not.",
        "responses": {
          "200": {
            "description": "Alive.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                },
                "examples": {
                  "ok": {
                    "value": {
                      "status": "ok"
                    }
                  }
                }
              }
            }
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "readiness",
        "summary": "Ready to serve",
        "description": "200 with the model and the knowledge bases when the store answers and start-up is done; 503 otherwise.",
        "responses": {
          "200": {
            "description": "Ready.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Readiness"
                },
                "examples": {
                  "ready": {
                    "value": {
                      "status": "ready",
                      "model": "sentence-transformers/all-MiniLM-L6-v2",
                      "model_version": "53aa5117",
                      "knowledge_bases": [
                        "default",
                        "fitness"
                      ]
                    }
                  }
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/NotReady"
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "getMetrics",
        "summary": "Prometheus metrics",
        "description": "Every series the server records, in Prometheus' text format 0.0.4: requests and latency per route and status (`spotter_http_requests_total`, `spotter_http_request_duration_seconds`), pipeline stage latency (`spotter_pipeline_stage_seconds{stage}`), answers by how they were served (`spotter_answers_total{served_by}`, `spotter_answer_seconds`), the semantic cache (`spotter_cache_lookups_total{result}`, `spotter_cache_evictions_total{reason}`, `spotter_cache_false_hits_total`, `spotter_cache_saved_tokens_total`), the language models (`spotter_llm_calls_total`, `spotter_llm_tokens_total{direction}`, `spotter_llm_cost_usd_total`, `spotter_llm_errors_total`, `spotter_llm_retries_total`, `spotter_llm_breaker_state`), feedback (`spotter_feedback_total{rating}`), retrieval (`spotter_retrieval_top_score`) and the knowledge bases' size (`spotter_documents{kb}`, `spotter_chunks{kb}`). Latency buckets run from 0.25 ms to 60 s.",
        "responses": {
          "200": {
            "description": "The metrics.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                },
                "example": "# TYPE spotter_cache_lookups_total counter\nspotter_cache_lookups_total{result=\"hit\"} 42\n"
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "openapi",
        "summary": "This API description (OpenAPI 3.1)",
        "responses": {
          "200": {
            "description": "The OpenAPI document.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    },
    "/docs": {
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "docs",
        "summary": "This API description as a readable page",
        "responses": {
          "200": {
            "description": "A self-contained HTML page.",
            "content": {
              "text/html": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/v1/search": {
      "get": {
        "tags": [
          "Knowledge"
        ],
        "operationId": "search",
        "summary": "Search a knowledge base",
        "description": "Hybrid (BM25 + dense, fused), keyword-only or dense-only search; the same JSON as `spotter search --json`. The query string is decoded as HTML forms encode it (`+` is a space).",
        "parameters": [
          {
            "name": "q",
            "in": "query",
            "required": true,
            "description": "The query text (1–4,000 characters; any text is valid).",
            "schema": {
              "type": "string",
              "minLength": 1,
              "maxLength": 4000
            },
            "example": "hamstring exercise with kettlebell"
          },
          {
            "name": "k",
            "in": "query",
            "required": false,
            "description": "Number of hits, 1–100.",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 100,
              "default": 10
            }
          },
          {
            "name": "mode",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "enum": [
                "hybrid",
                "bm25",
                "dense"
              ],
              "default": "hybrid"
            }
          },
          {
            "name": "kb",
            "in": "query",
            "required": false,
            "description": "Knowledge base name (default: `SPOTTER_KB`, `default`).",
            "schema": {
              "type": "string",
              "pattern": "^[A-Za-z0-9._-]{1,64}$"
            },
            "example": "default"
          },
          {
            "name": "filter",
            "in": "query",
            "required": false,
            "description": "`key=value` on document metadata (repeatable; same key: any value, different keys: all).",
            "schema": {
              "type": "array",
              "items": {
                "type": "string"
              }
            },
            "style": "form",
            "explode": true,
            "example": [
              "equipment=kettle bell"
            ]
          },
          {
            "name": "alpha",
            "in": "query",
            "required": false,
            "description": "Weighted score fusion with this dense weight (0–1) instead of reciprocal rank fusion.",
            "schema": {
              "type": "number",
              "minimum": 0,
              "maximum": 1
            }
          },
          {
            "name": "mmr",
            "in": "query",
            "required": false,
            "description": "Re-order by maximal marginal relevance with this relevance weight (0–1).",
            "schema": {
              "type": "number",
              "minimum": 0,
              "maximum": 1
            }
          },
          {
            "name": "exact",
            "in": "query",
            "required": false,
            "description": "Scan every vector instead of the HNSW graph.",
            "schema": {
              "type": "boolean",
              "default": false
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The hits, best first.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SearchResponse"
                },
                "examples": {
                  "hybrid": {
                    "value": {
                      "query": "hamstring exercise with kettlebell",
                      "kb": "default",
                      "mode": "hybrid",
                      "k": 1,
                      "fusion": "rrf(k=60)",
                      "filters": [],
                      "exact": false,
                      "hits": [
                        {
                          "rank": 1,
                          "document_id": "3f9c2a7b1e0d4c5a",
                          "chunk_id": 42,
                          "ordinal": 0,
                          "title": "Kettlebell deadlift",
                          "source": "upload:kettlebell.md",
                          "heading_path": [
                            "Kettlebell deadlift"
                          ],
                          "snippet": "Hinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.",
                          "text": "Hinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.",
                          "metadata": {
                            "equipment": "kettle bell"
                          },
                          "scores": {
                            "bm25_rank": 1,
                            "bm25_score": 3.91,
                            "dense_rank": 1,
                            "dense_similarity": 0.61,
                            "fused": 0.0328
                          }
                        }
                      ],
                      "took_ms": 14.2
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A missing or bad parameter.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "invalid_parameter": {
                    "value": {
                      "error": {
                        "code": "invalid_parameter",
                        "message": "parameter 'k' must be a whole number, got 'abc'"
                      }
                    }
                  }
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/UnknownKnowledgeBase"
          },
          "413": {
            "description": "The query is over 4,000 characters.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "query_too_long": {
                    "value": {
                      "error": {
                        "code": "query_too_long",
                        "message": "query is 5000 characters long; the limit is 4000"
                      }
                    }
                  }
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      }
    },
    "/v1/documents": {
      "post": {
        "tags": [
          "Knowledge"
        ],
        "operationId": "uploadDocuments",
        "summary": "Upload and ingest documents",
        "description": "Either `multipart/form-data` with one or more file parts (each part's filename decides its format, as with `spotter ingest`: .md, .markdown, .txt, .text, .html, .htm, .json, .jsonl, .ndjson, .pdf), or one raw body whose `Content-Type` names the format, with `?filename=` naming it. Documents are stored under the source `upload:<file name>`: uploading the same name again updates the document, or leaves it unchanged. File names must be plain (no folders, `..`, NUL or control characters). The body limit is `SPOTTER_MAX_UPLOAD_SIZE` (50 MB by default). The dense index is brought up to date in the background after the response.",
        "parameters": [
          {
            "name": "kb",
            "in": "query",
            "required": false,
            "description": "Knowledge base name (default: `SPOTTER_KB`, `default`).",
            "schema": {
              "type": "string",
              "pattern": "^[A-Za-z0-9._-]{1,64}$"
            },
            "example": "default"
          },
          {
            "name": "filename",
            "in": "query",
            "required": false,
            "description": "Raw uploads only (required there): the document's file name.",
            "schema": {
              "type": "string"
            },
            "example": "kettlebell.md"
          },
          {
            "name": "id_field",
            "in": "query",
            "required": false,
            "description": "JSON/JSONL records: the field holding the record id.",
            "schema": {
              "type": "string",
              "default": "id"
            }
          },
          {
            "name": "text_field",
            "in": "query",
            "required": false,
            "description": "JSON/JSONL records: fields that make the text (repeatable; default `text`).",
            "schema": {
              "type": "array",
              "items": {
                "type": "string"
              }
            },
            "style": "form",
            "explode": true
          },
          {
            "name": "title_field",
            "in": "query",
            "required": false,
            "description": "JSON/JSONL records: the title field (default `title`, else `name`, else the id).",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "metadata_field",
            "in": "query",
            "required": false,
            "description": "JSON/JSONL records: fields kept as metadata for filters (repeatable).",
            "schema": {
              "type": "array",
              "items": {
                "type": "string"
              }
            },
            "style": "form",
            "explode": true
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "multipart/form-data": {
              "schema": {
                "type": "object",
                "properties": {
                  "file": {
                    "type": "array",
                    "items": {
                      "type": "string",
                      "contentMediaType": "application/octet-stream"
                    }
                  }
                }
              },
              "examples": {
                "two files": {
                  "summary": "curl -F file=@kettlebell.md -F file=@protein.md",
                  "value": {
                    "file": [
                      "# Kettlebell deadlift\n\nHinge at the hips...",
                      "# Protein\n\n..."
                    ]
                  }
                }
              }
            },
            "text/markdown": {
              "schema": {
                "type": "string"
              },
              "examples": {
                "guide": {
                  "value": "# Kettlebell deadlift\n\nHinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.\n"
                }
              }
            },
            "text/plain": {
              "schema": {
                "type": "string"
              }
            },
            "text/html": {
              "schema": {
                "type": "string"
              }
            },
            "application/json": {
              "schema": {
                "type": [
                  "array",
                  "object"
                ]
              },
              "examples": {
                "records": {
                  "value": [
                    {
                      "id": "ex-1",
                      "name": "Goblet squat",
                      "text": "Hold a kettlebell at the chest and squat.",
                      "level": "beginner"
                    }
                  ]
                }
              }
            },
            "application/x-ndjson": {
              "schema": {
                "type": "string"
              },
              "examples": {
                "records": {
                  "value": "{\"id\": \"ex-1\", \"text\": \"Hold a kettlebell at the chest and squat.\"}\n"
                }
              }
            },
            "application/jsonl": {
              "schema": {
                "type": "string"
              }
            },
            "application/pdf": {
              "schema": {
                "type": "string",
                "contentMediaType": "application/pdf"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Something was added or updated. Problems with single files or records are in `skipped`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/IngestSummary"
                },
                "examples": {
                  "added": {
                    "value": {
                      "kb": "default",
                      "files": 1,
                      "added": 1,
                      "updated": 0,
                      "unchanged": 0,
                      "chunks_embedded": 1,
                      "skipped": [],
                      "ignored": [],
                      "seconds": 0.21
                    }
                  },
                  "partly": {
                    "value": {
                      "kb": "default",
                      "files": 2,
                      "added": 1,
                      "updated": 0,
                      "unchanged": 0,
                      "chunks_embedded": 3,
                      "skipped": [
                        {
                          "path": "upload:notes.bin",
                          "reason": "Cannot read upload:notes.bin: unsupported file type \".bin\". Supported: .md, .markdown, .txt, .text, .html, .htm, .json, .jsonl, .ndjson, .pdf (or choose the format explicitly with --format)."
                        }
                      ],
                      "ignored": [],
                      "seconds": 0.4
                    }
                  }
                }
              }
            }
          },
          "200": {
            "description": "Everything was already stored and unchanged.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/IngestSummary"
                },
                "examples": {
                  "unchanged": {
                    "value": {
                      "kb": "default",
                      "files": 1,
                      "added": 0,
                      "updated": 0,
                      "unchanged": 1,
                      "chunks_embedded": 0,
                      "skipped": [],
                      "ignored": [],
                      "seconds": 0.01
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A bad parameter, file name or multipart body.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "invalid_filename": {
                    "value": {
                      "error": {
                        "code": "invalid_filename",
                        "message": "file name '../etc/passwd' is not accepted: it contains a folder separator. Send a plain name such as guide.md."
                      }
                    }
                  },
                  "invalid_parameter": {
                    "value": {
                      "error": {
                        "code": "invalid_parameter",
                        "message": "parameter 'filename' is required for a raw upload (it names the document, e.g. ?filename=guide.md)"
                      }
                    }
                  },
                  "malformed_multipart": {
                    "value": {
                      "error": {
                        "code": "malformed_multipart",
                        "message": "the multipart/form-data body is malformed: the body ends before the closing boundary '--x'"
                      }
                    }
                  }
                }
              }
            }
          },
          "413": {
            "description": "The body is over the upload limit.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "body_too_large": {
                    "value": {
                      "error": {
                        "code": "body_too_large",
                        "message": "the request body is too large: the limit is 50 MB"
                      }
                    }
                  }
                }
              }
            }
          },
          "415": {
            "description": "The Content-Type is not multipart/form-data or a supported document type.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "unsupported_media_type": {
                    "value": {
                      "error": {
                        "code": "unsupported_media_type",
                        "message": "cannot ingest Content-Type 'image/png'; send multipart/form-data with file parts, or one of ... with ?filename="
                      }
                    }
                  }
                }
              }
            }
          },
          "422": {
            "description": "Nothing in the body could be ingested.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "nothing_ingested": {
                    "value": {
                      "error": {
                        "code": "nothing_ingested",
                        "message": "nothing could be ingested: upload:empty.md is empty (nothing but whitespace), so there is nothing to index. Add content or remove the file."
                      }
                    }
                  }
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      },
      "get": {
        "tags": [
          "Knowledge"
        ],
        "operationId": "listDocuments",
        "summary": "List a knowledge base's documents",
        "parameters": [
          {
            "name": "kb",
            "in": "query",
            "required": false,
            "description": "Knowledge base name (default: `SPOTTER_KB`, `default`).",
            "schema": {
              "type": "string",
              "pattern": "^[A-Za-z0-9._-]{1,64}$"
            },
            "example": "default"
          }
        ],
        "responses": {
          "200": {
            "description": "The documents, ordered by source.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DocumentList"
                },
                "examples": {
                  "documents": {
                    "value": {
                      "kb": "default",
                      "documents": [
                        {
                          "id": "3f9c2a7b1e0d4c5a",
                          "kb": "default",
                          "source": "upload:kettlebell.md",
                          "title": "Kettlebell deadlift",
                          "content_sha256": "9b1d5c7e2f0a4b6c8d3e1f5a7b9c0d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c",
                          "metadata": {
                            "equipment": "kettle bell"
                          },
                          "allowed_groups": [],
                          "chunks": 1,
                          "created_at": "2026-11-25T06:20:00.123Z",
                          "updated_at": "2026-11-25T06:20:00.123Z"
                        }
                      ]
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A bad parameter.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "invalid_parameter": {
                    "value": {
                      "error": {
                        "code": "invalid_parameter",
                        "message": "unknown parameter 'kbs'; accepted: kb"
                      }
                    }
                  }
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/UnknownKnowledgeBase"
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      }
    },
    "/v1/documents/{id}": {
      "get": {
        "tags": [
          "Knowledge"
        ],
        "operationId": "getDocument",
        "summary": "One document",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Document id, as listed by `GET /v1/documents`.",
            "schema": {
              "type": "string"
            },
            "example": "3f9c2a7b1e0d4c5a"
          }
        ],
        "responses": {
          "200": {
            "description": "The document.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DocumentSummary"
                },
                "examples": {
                  "document": {
                    "value": {
                      "id": "3f9c2a7b1e0d4c5a",
                      "kb": "default",
                      "source": "upload:kettlebell.md",
                      "title": "Kettlebell deadlift",
                      "content_sha256": "9b1d5c7e2f0a4b6c8d3e1f5a7b9c0d2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c",
                      "metadata": {
                        "equipment": "kettle bell"
                      },
                      "allowed_groups": [],
                      "chunks": 1,
                      "created_at": "2026-11-25T06:20:00.123Z",
                      "updated_at": "2026-11-25T06:20:00.123Z"
                    }
                  }
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/UnknownDocument"
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      },
      "delete": {
        "tags": [
          "Knowledge"
        ],
        "operationId": "deleteDocument",
        "summary": "Delete a document with its chunks and vectors",
        "description": "The dense index catches up in the background.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Document id, as listed by `GET /v1/documents`.",
            "schema": {
              "type": "string"
            },
            "example": "3f9c2a7b1e0d4c5a"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted."
          },
          "404": {
            "$ref": "#/components/responses/UnknownDocument"
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      }
    },
    "/v1/chat": {
      "post": {
        "tags": [
          "Chat"
        ],
        "operationId": "chat",
        "summary": "Ask a question; get a grounded answer with citations",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ChatRequest"
              },
              "examples": {
                "question": {
                  "value": {
                    "message": "Which kettlebell exercise works the hamstrings?"
                  }
                },
                "follow-up, streamed": {
                  "value": {
                    "message": "And for beginners?",
                    "session_id": "ses_01JDX4M2ZK",
                    "kb": "fitness",
                    "filters": {
                      "level": [
                        "beginner",
                        "intermediate"
                      ],
                      "equipment": "kettlebell"
                    },
                    "stream": true,
                    "assistant": "spotter"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The answer: JSON, or `text/event-stream` when `stream` is true or `Accept: text/event-stream`. The stream sends `event: token` (data `{\"text\": ...}`) as the answer is written, then `event: citations` (data `{\"citations\": [...]}`), then `event: done` (data: the same object as the JSON answer); `event: error` (data: the error shape) if it fails mid-stream. Comment lines (`: keep-alive`) keep a quiet stream open.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ChatResponse"
                },
                "examples": {
                  "answer": {
                    "value": {
                      "answer_id": "ans_01JDX4M3Q8",
                      "session_id": "ses_01JDX4M2ZK",
                      "answer": "A kettlebell deadlift works the hamstrings and glutes [1].",
                      "citations": [
                        {
                          "n": 1,
                          "document_id": "3f9c2a7b1e0d4c5a",
                          "chunk_id": 42,
                          "title": "Kettlebell deadlift",
                          "source": "upload:kettlebell.md",
                          "snippet": "Hinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.",
                          "score": 0.0328
                        }
                      ],
                      "usage": {
                        "prompt_tokens": 812,
                        "completion_tokens": 64,
                        "total_tokens": 876,
                        "estimated": false
                      },
                      "cost_usd": 0.00021,
                      "model": "gpt-4o-mini",
                      "cached": false,
                      "grounded": true,
                      "trace_id": "trc_7d41c0a9",
                      "cache": null
                    }
                  }
                }
              },
              "text/event-stream": {
                "schema": {
                  "type": "string"
                },
                "examples": {
                  "stream": {
                    "value": "event: token\ndata: {\"text\":\"A kettlebell deadlift\"}\n\nevent: token\ndata: {\"text\":\" works the hamstrings and glutes [1].\"}\n\nevent: citations\ndata: {\"citations\":[{\"n\":1,\"document_id\":\"3f9c2a7b1e0d4c5a\",\"chunk_id\":42,\"title\":\"Kettlebell deadlift\",\"source\":\"upload:kettlebell.md\",\"snippet\":\"Hinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.\",\"score\":0.0328}]}\n\nevent: done\ndata: {\"answer_id\":\"ans_01JDX4M3Q8\",\"session_id\":\"ses_01JDX4M2ZK\",\"answer\":\"A kettlebell deadlift works the hamstrings and glutes [1].\",\"citations\":[{\"n\":1,\"document_id\":\"3f9c2a7b1e0d4c5a\",\"chunk_id\":42,\"title\":\"Kettlebell deadlift\",\"source\":\"upload:kettlebell.md\",\"snippet\":\"Hinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.\",\"score\":0.0328}],\"usage\":{\"prompt_tokens\":812,\"completion_tokens\":64,\"total_tokens\":876,\"estimated\":false},\"cost_usd\":0.00021,\"model\":\"gpt-4o-mini\",\"cached\":false,\"grounded\":true,\"trace_id\":\"trc_7d41c0a9\",\"cache\":null}\n\n"
                  },
                  "failed": {
                    "value": "event: token\ndata: {\"text\":\"A kettlebell\"}\n\nevent: error\ndata: {\"error\":{\"code\":\"upstream_unavailable\",\"message\":\"the language model did not answer; try again\"}}\n\n"
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadJSON"
          },
          "404": {
            "$ref": "#/components/responses/UnknownAnswerTarget"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge1MB"
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "422": {
            "$ref": "#/components/responses/InvalidField"
          },
          "429": {
            "$ref": "#/components/responses/RateLimited",
            "description": "too many answers in progress (`SPOTTER_MAX_CONCURRENT_ANSWERS`): `rate_limited`, with `Retry-After`"
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          },
          "502": {
            "$ref": "#/components/responses/UpstreamFailed"
          }
        }
      }
    },
    "/v1/chat/completions": {
      "post": {
        "tags": [
          "Chat"
        ],
        "operationId": "chatCompletions",
        "summary": "OpenAI-compatible chat completions",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ChatCompletionRequest"
              },
              "examples": {
                "question": {
                  "value": {
                    "model": "spotter",
                    "messages": [
                      {
                        "role": "user",
                        "content": "Which kettlebell exercise works the hamstrings?"
                      }
                    ],
                    "temperature": 0.2,
                    "max_tokens": 300,
                    "stream": false,
                    "user": "user-17"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "`chat.completion`, or with `stream: true` a `text/event-stream` of `chat.completion.chunk` objects in `data:` lines ending with `data: [DONE]`.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ChatCompletionResponse"
                },
                "examples": {
                  "completion": {
                    "value": {
                      "id": "chatcmpl-ans_01JDX4M3Q8",
                      "object": "chat.completion",
                      "created": 1795587670,
                      "model": "spotter",
                      "choices": [
                        {
                          "index": 0,
                          "message": {
                            "role": "assistant",
                            "content": "A kettlebell deadlift works the hamstrings and glutes [1].\n\n[1] Kettlebell deadlift — upload:kettlebell.md",
                            "refusal": null
                          },
                          "finish_reason": "stop",
                          "logprobs": null
                        }
                      ],
                      "usage": {
                        "prompt_tokens": 812,
                        "completion_tokens": 64,
                        "total_tokens": 876
                      },
                      "spotter": {
                        "answer_id": "ans_01JDX4M3Q8",
                        "citations": [
                          {
                            "n": 1,
                            "document_id": "3f9c2a7b1e0d4c5a",
                            "chunk_id": 42,
                            "title": "Kettlebell deadlift",
                            "source": "upload:kettlebell.md",
                            "snippet": "Hinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.",
                            "score": 0.0328
                          }
                        ],
                        "grounded": true,
                        "model": "api.openai.com/gpt-4o-mini",
                        "cost_usd": 0.00016,
                        "trace_id": "trc_7d41c0a9",
                        "tokens_estimated": false
                      },
                      "system_fingerprint": null
                    }
                  }
                }
              },
              "text/event-stream": {
                "schema": {
                  "type": "string"
                },
                "examples": {
                  "stream": {
                    "value": "data: {\"id\":\"chatcmpl-ans_01JDX4M3Q8\",\"object\":\"chat.completion.chunk\",\"created\":1795587670,\"model\":\"spotter\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null,\"logprobs\":null}],\"system_fingerprint\":null,\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-ans_01JDX4M3Q8\",\"object\":\"chat.completion.chunk\",\"created\":1795587670,\"model\":\"spotter\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A kettlebell deadlift \"},\"finish_reason\":null,\"logprobs\":null}],\"system_fingerprint\":null,\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-ans_01JDX4M3Q8\",\"object\":\"chat.completion.chunk\",\"created\":1795587670,\"model\":\"spotter\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"works the hamstrings and glutes [1].\"},\"finish_reason\":null,\"logprobs\":null}],\"system_fingerprint\":null,\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-ans_01JDX4M3Q8\",\"object\":\"chat.completion.chunk\",\"created\":1795587670,\"model\":\"spotter\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\n\\n[1] Kettlebell deadlift — upload:kettlebell.md\"},\"finish_reason\":null,\"logprobs\":null}],\"system_fingerprint\":null,\"usage\":null}\n\ndata: {\"id\":\"chatcmpl-ans_01JDX4M3Q8\",\"object\":\"chat.completion.chunk\",\"created\":1795587670,\"model\":\"spotter\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\",\"logprobs\":null}],\"system_fingerprint\":null,\"usage\":null,\"spotter\":{\"answer_id\":\"ans_01JDX4M3Q8\",\"citations\":[{\"n\":1,\"document_id\":\"3f9c2a7b1e0d4c5a\",\"chunk_id\":42,\"title\":\"Kettlebell deadlift\",\"source\":\"upload:kettlebell.md\",\"snippet\":\"Hinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.\",\"score\":0.0328}],\"grounded\":true,\"model\":\"api.openai.com/gpt-4o-mini\",\"cost_usd\":0.00016,\"trace_id\":\"trc_7d41c0a9\",\"tokens_estimated\":false}}\n\ndata: {\"id\":\"chatcmpl-ans_01JDX4M3Q8\",\"object\":\"chat.completion.chunk\",\"created\":1795587670,\"model\":\"spotter\",\"choices\":[],\"system_fingerprint\":null,\"usage\":{\"prompt_tokens\":812,\"completion_tokens\":64,\"total_tokens\":876}}\n\ndata: [DONE]\n\n"
                  }
                }
              }
            }
          },
          "400": {
            "description": "Malformed JSON or a bad request.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "malformed_json": {
                    "value": {
                      "error": {
                        "code": "malformed_json",
                        "message": "the request body is not valid JSON: Unexpected end of file."
                      }
                    }
                  }
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/UnknownAnswerTarget"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge1MB"
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "422": {
            "description": "A field is missing, of the wrong type or out of range.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "invalid_field": {
                    "value": {
                      "error": {
                        "code": "invalid_field",
                        "message": "field 'messages' is required"
                      }
                    }
                  }
                }
              }
            }
          },
          "429": {
            "$ref": "#/components/responses/RateLimited",
            "description": "too many answers in progress (`SPOTTER_MAX_CONCURRENT_ANSWERS`): `rate_limited`, with `Retry-After`"
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          },
          "502": {
            "$ref": "#/components/responses/UpstreamFailed"
          }
        }
      }
    },
    "/v1/models": {
      "get": {
        "tags": [
          "Chat"
        ],
        "operationId": "listModels",
        "summary": "Models (OpenAI-compatible)",
        "responses": {
          "200": {
            "description": "The assistant configurations of the prompt registry: the names `model` accepts.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelList"
                },
                "examples": {
                  "models": {
                    "value": {
                      "object": "list",
                      "data": [
                        {
                          "id": "spotter",
                          "object": "model",
                          "created": 1795587600,
                          "owned_by": "spotter",
                          "description": "Fitness coach that answers from the knowledge base and cites its sources."
                        }
                      ]
                    }
                  }
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/NotReady"
          }
        }
      }
    },
    "/admin/cache": {
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "getCacheStatistics",
        "summary": "Semantic cache statistics",
        "description": "Cached answers per scope, hits, tokens and cost saved, and false hits reported through feedback. Not yet behind authentication (the security work adds an admin key).",
        "responses": {
          "200": {
            "description": "The statistics.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CacheStatistics"
                },
                "examples": {
                  "statistics": {
                    "value": {
                      "entries": 2,
                      "hits": 5,
                      "saved_tokens": 4380,
                      "saved_cost_usd": 0.00105,
                      "false_hits": 0,
                      "scopes": [
                        {
                          "tenant": "default",
                          "kb": "default",
                          "assistant": "spotter",
                          "prompt_version": "coach@1",
                          "entries": 2,
                          "hits": 5
                        }
                      ]
                    }
                  }
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      },
      "delete": {
        "tags": [
          "Operations"
        ],
        "operationId": "purgeCache",
        "summary": "Purge cached answers by scope",
        "description": "Deletes the cached answers matching every parameter given; `all=true` deletes every one. A scope or `all=true` is required.",
        "parameters": [
          {
            "name": "tenant",
            "in": "query",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "kb",
            "in": "query",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "assistant",
            "in": "query",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "prompt_version",
            "in": "query",
            "schema": {
              "type": "string"
            },
            "example": "coach@1"
          },
          {
            "name": "all",
            "in": "query",
            "schema": {
              "type": "boolean"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "How many cached answers were deleted.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "purged": {
                      "type": "integer"
                    }
                  },
                  "required": [
                    "purged"
                  ],
                  "additionalProperties": false
                },
                "examples": {
                  "purged": {
                    "value": {
                      "purged": 3
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "No scope, an unknown parameter or a bad value.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                },
                "examples": {
                  "no_scope": {
                    "value": {
                      "error": {
                        "code": "invalid_parameter",
                        "message": "name a scope (tenant, kb, assistant, prompt_version) or pass all=true"
                      }
                    }
                  }
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      }
    },
    "/v1/sessions/{id}": {
      "get": {
        "tags": [
          "Chat"
        ],
        "operationId": "getSession",
        "summary": "A conversation and its messages",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Session id, as returned by `POST /v1/chat`.",
            "schema": {
              "type": "string"
            },
            "example": "ses_01JDX4M2ZK"
          }
        ],
        "responses": {
          "200": {
            "description": "The session.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Session"
                },
                "examples": {
                  "session": {
                    "value": {
                      "session_id": "ses_01JDX4M2ZK",
                      "kb": "default",
                      "assistant": "spotter",
                      "created_at": "2026-11-25T06:20:00Z",
                      "updated_at": "2026-11-25T06:21:10Z",
                      "expires_at": "2026-11-26T06:21:10Z",
                      "messages": [
                        {
                          "role": "user",
                          "content": "Which kettlebell exercise works the hamstrings?",
                          "created_at": "2026-11-25T06:21:09Z"
                        },
                        {
                          "role": "assistant",
                          "content": "A kettlebell deadlift works the hamstrings and glutes [1].",
                          "created_at": "2026-11-25T06:21:10Z",
                          "answer_id": "ans_01JDX4M3Q8",
                          "citations": [
                            {
                              "n": 1,
                              "document_id": "3f9c2a7b1e0d4c5a",
                              "chunk_id": 42,
                              "title": "Kettlebell deadlift",
                              "source": "upload:kettlebell.md",
                              "snippet": "Hinge at the hips with a kettlebell between the feet; works the hamstrings and glutes.",
                              "score": 0.0328
                            }
                          ]
                        }
                      ]
                    }
                  }
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/UnknownSession"
          },
          "503": {
            "$ref": "#/components/responses/NotReady"
          }
        }
      },
      "delete": {
        "tags": [
          "Chat"
        ],
        "operationId": "deleteSession",
        "summary": "Forget a conversation",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "Session id, as returned by `POST /v1/chat`.",
            "schema": {
              "type": "string"
            },
            "example": "ses_01JDX4M2ZK"
          }
        ],
        "responses": {
          "204": {
            "description": "Deleted."
          },
          "404": {
            "$ref": "#/components/responses/UnknownSession"
          },
          "503": {
            "$ref": "#/components/responses/NotReady"
          }
        }
      }
    },
    "/v1/feedback": {
      "post": {
        "tags": [
          "Chat"
        ],
        "operationId": "sendFeedback",
        "summary": "A user's verdict on an answer",
        "description": "One feedback per answer and user: sending it again replaces it (the first `created_at` is kept), so retries are safe. A change to `down` evicts the cached answer behind it; when the answer was itself a cache hit, the pair is recorded as a false hit. `user` is optional until the API has authentication.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/FeedbackRequest"
              },
              "examples": {
                "down": {
                  "value": {
                    "answer_id": "ans_019af232b2005f0c2e9a7b1d3c48",
                    "rating": "down",
                    "reason": "wrong",
                    "comment": "It said 5 sets; the guide says 3."
                  }
                },
                "up": {
                  "value": {
                    "answer_id": "ans_019af232b2005f0c2e9a7b1d3c48",
                    "rating": "up",
                    "user": "u_42"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The feedback as stored, and what the cache did.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/FeedbackReceipt"
                },
                "examples": {
                  "evicted": {
                    "value": {
                      "feedback": {
                        "answer_id": "ans_019af232b2005f0c2e9a7b1d3c48",
                        "user": "",
                        "rating": "down",
                        "reason": "wrong",
                        "comment": "It said 5 sets; the guide says 3.",
                        "correction": null,
                        "created_at": "2026-11-25T06:21:00.123Z",
                        "updated_at": "2026-11-25T06:21:00.123Z"
                      },
                      "previous_rating": null,
                      "cache": {
                        "evicted_entries": [
                          "ce_019af232b2007666478e13c0613b"
                        ],
                        "false_hit_recorded": true
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadJSON"
          },
          "404": {
            "$ref": "#/components/responses/UnknownAnswer"
          },
          "413": {
            "$ref": "#/components/responses/BodyTooLarge1MB"
          },
          "415": {
            "$ref": "#/components/responses/NotJSON"
          },
          "422": {
            "$ref": "#/components/responses/InvalidField"
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      }
    },
    "/v1/answers/{id}": {
      "get": {
        "tags": [
          "Chat"
        ],
        "operationId": "getAnswer",
        "summary": "An answer's record",
        "description": "What was asked, the answer and its citations, the model, tokens, cost, latency, the prompt version, the tenant, the passages retrieval returned with their scores, the trace of every stage (with the cache match for a cached answer) and the feedback on it.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The `answer_id` of an answer.",
            "schema": {
              "type": "string"
            },
            "example": "ans_019af232b2005f0c2e9a7b1d3c48"
          }
        ],
        "responses": {
          "200": {
            "description": "The record.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/AnswerRecord"
                },
                "examples": {
                  "record": {
                    "value": {
                      "id": "ans_019af232b2005f0c2e9a7b1d3c48",
                      "session_id": "ses_019af232b2000a1b2c3d4e5f6a7b",
                      "kb": "default",
                      "assistant": "spotter",
                      "prompt_version": "coach@1",
                      "question": "How many sets for beginners?",
                      "standalone_question": "How many sets for beginners?",
                      "answer": "Start with 3 sets of 8–12 reps [1].",
                      "citations": [
                        {
                          "n": 1,
                          "document_id": "3f9c2a7b1e0d4c5a",
                          "chunk_id": 12,
                          "title": "Beginner strength",
                          "source": "guides/beginner.md",
                          "snippet": "Start with 3 sets of 8–12 reps…",
                          "score": 0.71
                        }
                      ],
                      "model": "offline",
                      "grounded": true,
                      "usage": {
                        "prompt_tokens": 0,
                        "completion_tokens": 0,
                        "total_tokens": 0,
                        "estimated": false
                      },
                      "cost_usd": null,
                      "latency_ms": 0.8,
                      "trace": {
                        "id": "trc_019af232b2006f2ff34839157cc9",
                        "stages": [
                          {
                            "stage": "validate",
                            "ms": 0.12,
                            "outcome": "assistant spotter, kb default",
                            "failed": false
                          },
                          {
                            "stage": "cache",
                            "ms": 0.21,
                            "outcome": "hit 0.912",
                            "failed": false
                          }
                        ],
                        "cache": {
                          "entry_id": "ce_019af232b2007666478e13c0613b",
                          "matched_question": "How many sets should a beginner do?",
                          "similarity": 0.912,
                          "saved_tokens": 1201,
                          "saved_cost_usd": null
                        }
                      },
                      "created_at": "2026-11-25T06:20:00.123Z",
                      "tenant": "default",
                      "retrieved": [],
                      "cached": true,
                      "cache": {
                        "entry_id": "ce_019af232b2007666478e13c0613b",
                        "matched_question": "How many sets should a beginner do?",
                        "similarity": 0.912,
                        "saved_tokens": 1201,
                        "saved_cost_usd": null
                      },
                      "feedback": [
                        {
                          "answer_id": "ans_019af232b2005f0c2e9a7b1d3c48",
                          "user": "",
                          "rating": "down",
                          "reason": "wrong",
                          "comment": "It said 5 sets; the guide says 3.",
                          "correction": null,
                          "created_at": "2026-11-25T06:21:00.123Z",
                          "updated_at": "2026-11-25T06:21:00.123Z"
                        }
                      ],
                      "variant": "control",
                      "guards": [
                        {
                          "check": "input",
                          "action": "passed"
                        },
                        {
                          "check": "grounding",
                          "action": "passed",
                          "detail": "best similarity 0.71"
                        },
                        {
                          "check": "citations",
                          "action": "passed"
                        }
                      ]
                    }
                  }
                }
              }
            }
          },
          "404": {
            "$ref": "#/components/responses/UnknownAnswer"
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      }
    },
    "/admin/drift": {
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "getDrift",
        "summary": "Drift signals",
        "description": "Each drift signal over its rolling window: the cache-miss rate, the negative-feedback rate, the query shift (two-sample Kolmogorov–Smirnov p-value of the questions' similarity to the knowledge base's centroids, against the first `window` questions after start) and the share of not-covered answers. Each is `ok`, `warning` or `drifting`, with hysteresis; `value` is null before the first evaluation. Also the latest refresh. Not yet behind authentication.",
        "responses": {
          "200": {
            "description": "The signals.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DriftReport"
                },
                "examples": {
                  "example": {
                    "value": {
                      "enabled": true,
                      "window": 200,
                      "signals": [
                        {
                          "signal": "cache_miss_rate",
                          "state": "drifting",
                          "value": 0.62,
                          "samples": 200,
                          "minimum_samples": 50,
                          "trigger": 0.5,
                          "clear_at": 0.4,
                          "since": "2026-11-25T14:00:00Z",
                          "actions": [
                            "alert",
                            "refresh"
                          ]
                        },
                        {
                          "signal": "negative_feedback_rate",
                          "state": "ok",
                          "value": 0.08,
                          "samples": 75,
                          "minimum_samples": 50,
                          "trigger": 0.3,
                          "clear_at": 0.24,
                          "since": "2026-11-25T14:00:00Z",
                          "actions": [
                            "alert"
                          ]
                        },
                        {
                          "signal": "query_shift",
                          "state": "warning",
                          "value": 0.03,
                          "samples": 200,
                          "minimum_samples": 50,
                          "trigger": 0.01,
                          "clear_at": 0.05,
                          "since": "2026-11-25T14:00:00Z",
                          "actions": [
                            "alert",
                            "refresh"
                          ]
                        },
                        {
                          "signal": "knowledge_gaps",
                          "state": "ok",
                          "value": null,
                          "samples": 0,
                          "minimum_samples": 50,
                          "trigger": 0.3,
                          "clear_at": 0.24,
                          "since": "2026-11-25T14:00:00Z",
                          "actions": [
                            "alert",
                            "gaps"
                          ]
                        }
                      ],
                      "reference_samples": 200,
                      "refresh": {
                        "id": "ref_1f2e3d4c5b6a7980",
                        "trigger": "drift:cache_miss_rate",
                        "state": "succeeded",
                        "started_at": "2026-11-25T14:00:00Z",
                        "finished_at": "2026-11-25T14:00:04Z",
                        "sources_done": 2,
                        "sources_total": 2,
                        "documents_read": 886,
                        "summary": {
                          "kbs": [
                            {
                              "kb": "default",
                              "sources": 2,
                              "added": 0,
                              "updated": 1,
                              "unchanged": 885,
                              "deleted": 0,
                              "missing_sources": [],
                              "problems": [],
                              "index": "updated: 2 inserted, 2 removed"
                            }
                          ],
                          "cache_entries_dropped": 3,
                          "seconds": 3.9
                        },
                        "error": null
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A parameter was given (the route takes none).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/admin/drift/gaps": {
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "getKnowledgeGaps",
        "summary": "Knowledge gaps",
        "description": "The questions answered \"not covered\" since a moment, grouped by meaning (spherical k-means on their embeddings), largest group first: the documents someone should write.",
        "parameters": [
          {
            "name": "since",
            "in": "query",
            "description": "A date (2026-11-01) or a span back from now (7d, 12h, 45m). Default 7d.",
            "schema": {
              "type": "string"
            },
            "example": "7d"
          },
          {
            "name": "kb",
            "in": "query",
            "description": "Only questions to this knowledge base.",
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "gaps",
            "in": "query",
            "description": "At most this many groups (1–50, default 10).",
            "schema": {
              "type": "integer",
              "minimum": 1,
              "maximum": 50
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The report.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/KnowledgeGapReport"
                },
                "examples": {
                  "example": {
                    "value": {
                      "since": "2026-11-18T14:00:00Z",
                      "questions": 14,
                      "distinct_questions": 9,
                      "gaps": [
                        {
                          "count": 8,
                          "representative": "Is intermittent fasting good for muscle gain?",
                          "examples": [
                            "Is intermittent fasting good for muscle gain?",
                            "Should I fast before lifting?"
                          ],
                          "kbs": [
                            "default"
                          ]
                        }
                      ]
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "An unknown parameter or a bad value.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "$ref": "#/components/responses/UnavailableOrNotReady"
          }
        }
      }
    },
    "/admin/refresh": {
      "post": {
        "tags": [
          "Operations"
        ],
        "operationId": "startRefresh",
        "summary": "Refresh the knowledge bases from their sources",
        "description": "Reads every ingested file and folder again with the options it was ingested with: changed documents are re-embedded (unchanged ones skipped by content hash), documents whose file is gone are deleted, the dense index is brought in step and cached answers citing a changed passage are dropped. Answering goes on meanwhile. One refresh runs at a time: asking while one runs returns that one. Drift signals with the `refresh` action start the same refresh.",
        "parameters": [
          {
            "name": "wait",
            "in": "query",
            "description": "true waits for the refresh to finish and answers 200 with its outcome; otherwise 202 at once.",
            "schema": {
              "type": "boolean"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The finished refresh (wait=true).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RefreshReply"
                },
                "examples": {
                  "example": {
                    "value": {
                      "refresh": {
                        "id": "ref_1f2e3d4c5b6a7980",
                        "trigger": "drift:cache_miss_rate",
                        "state": "succeeded",
                        "started_at": "2026-11-25T14:00:00Z",
                        "finished_at": "2026-11-25T14:00:04Z",
                        "sources_done": 2,
                        "sources_total": 2,
                        "documents_read": 886,
                        "summary": {
                          "kbs": [
                            {
                              "kb": "default",
                              "sources": 2,
                              "added": 0,
                              "updated": 1,
                              "unchanged": 885,
                              "deleted": 0,
                              "missing_sources": [],
                              "problems": [],
                              "index": "updated: 2 inserted, 2 removed"
                            }
                          ],
                          "cache_entries_dropped": 3,
                          "seconds": 3.9
                        },
                        "error": null
                      }
                    }
                  }
                }
              }
            }
          },
          "202": {
            "description": "The refresh, started or already running.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RefreshReply"
                },
                "examples": {
                  "example": {
                    "value": {
                      "refresh": {
                        "id": "ref_1f2e3d4c5b6a7980",
                        "trigger": "manual",
                        "state": "running",
                        "started_at": "2026-11-25T14:00:00Z",
                        "finished_at": null,
                        "sources_done": 1,
                        "sources_total": 2,
                        "documents_read": 886,
                        "summary": null,
                        "error": null
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "An unknown parameter or a bad value.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      },
      "get": {
        "tags": [
          "Operations"
        ],
        "operationId": "getRefresh",
        "summary": "The latest refresh",
        "description": "The latest refresh since the server started, running or finished, with its progress; null when none ran.",
        "responses": {
          "200": {
            "description": "The latest refresh.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/RefreshReply"
                },
                "examples": {
                  "example": {
                    "value": {
                      "refresh": {
                        "id": "ref_1f2e3d4c5b6a7980",
                        "trigger": "drift:cache_miss_rate",
                        "state": "succeeded",
                        "started_at": "2026-11-25T14:00:00Z",
                        "finished_at": "2026-11-25T14:00:04Z",
                        "sources_done": 2,
                        "sources_total": 2,
                        "documents_read": 886,
                        "summary": {
                          "kbs": [
                            {
                              "kb": "default",
                              "sources": 2,
                              "added": 0,
                              "updated": 1,
                              "unchanged": 885,
                              "deleted": 0,
                              "missing_sources": [],
                              "problems": [],
                              "index": "updated: 2 inserted, 2 removed"
                            }
                          ],
                          "cache_entries_dropped": 3,
                          "seconds": 3.9
                        },
                        "error": null
                      }
                    }
                  }
                }
              }
            }
          },
          "400": {
            "description": "A parameter was given (the route takes none).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/admin/drift/rebaseline": {
      "post": {
        "tags": [
          "Operations"
        ],
        "summary": "Take a new query-shift baseline",
        "description": "Computes the knowledge bases' centroids again and makes the next `window` questions the query-shift reference (after documents were added on purpose, say). The query-shift signal returns to ok; the other signals are untouched. Answers with the drift report.",
        "operationId": "rebaselineDrift",
        "responses": {
          "200": {
            "description": "The drift report after the reset: `reference_samples` 0 and the query-shift signal ok.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DriftReport"
                }
              }
            }
          },
          "400": {
            "description": "A parameter was given (the route takes none).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "CacheMatch": {
        "type": "object",
        "description": "The cached question whose answer was served.",
        "properties": {
          "entry_id": {
            "type": "string"
          },
          "matched_question": {
            "type": "string"
          },
          "similarity": {
            "type": "number",
            "description": "Cosine similarity of the two standalone questions."
          },
          "saved_tokens": {
            "type": "integer",
            "description": "Tokens the original answer took, saved by this hit."
          },
          "saved_cost_usd": {
            "type": [
              "number",
              "null"
            ]
          }
        },
        "required": [
          "entry_id",
          "matched_question",
          "similarity",
          "saved_tokens",
          "saved_cost_usd"
        ],
        "additionalProperties": false
      },
      "CacheStatistics": {
        "type": "object",
        "properties": {
          "entries": {
            "type": "integer"
          },
          "hits": {
            "type": "integer"
          },
          "saved_tokens": {
            "type": "integer"
          },
          "saved_cost_usd": {
            "type": "number"
          },
          "false_hits": {
            "type": "integer",
            "description": "Cache hits that users marked wrong (kept for calibration)."
          },
          "scopes": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "tenant": {
                  "type": "string"
                },
                "kb": {
                  "type": "string"
                },
                "assistant": {
                  "type": "string"
                },
                "prompt_version": {
                  "type": "string"
                },
                "entries": {
                  "type": "integer"
                },
                "hits": {
                  "type": "integer"
                }
              },
              "required": [
                "tenant",
                "kb",
                "assistant",
                "prompt_version",
                "entries",
                "hits"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "entries",
          "hits",
          "saved_tokens",
          "saved_cost_usd",
          "false_hits",
          "scopes"
        ],
        "additionalProperties": false
      },
      "Error": {
        "type": "object",
        "properties": {
          "error": {
            "type": "object",
            "properties": {
              "code": {
                "type": "string",
                "description": "Stable, machine-readable code (`invalid_parameter`, `unknown_field`, `not_ready`, ...)."
              },
              "message": {
                "type": "string",
                "description": "What went wrong and what to do, for people."
              }
            },
            "required": [
              "code",
              "message"
            ],
            "additionalProperties": false
          }
        },
        "required": [
          "error"
        ],
        "additionalProperties": false,
        "description": "Every error has this shape."
      },
      "Health": {
        "type": "object",
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ok"
            ]
          }
        },
        "required": [
          "status"
        ],
        "additionalProperties": false
      },
      "Readiness": {
        "type": "object",
        "properties": {
          "status": {
            "type": "string",
            "enum": [
              "ready"
            ]
          },
          "model": {
            "type": "string"
          },
          "model_version": {
            "type": "string"
          },
          "knowledge_bases": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        },
        "required": [
          "status",
          "model",
          "model_version",
          "knowledge_bases"
        ],
        "additionalProperties": false
      },
      "MetadataFilter": {
        "type": "object",
        "properties": {
          "key": {
            "type": "string"
          },
          "value": {
            "type": "string"
          }
        },
        "required": [
          "key",
          "value"
        ],
        "additionalProperties": false
      },
      "ScoreBreakdown": {
        "type": "object",
        "properties": {
          "bm25_rank": {
            "type": "integer"
          },
          "bm25_score": {
            "type": "number"
          },
          "dense_rank": {
            "type": "integer"
          },
          "dense_similarity": {
            "type": "number"
          },
          "fused": {
            "type": "number",
            "description": "The score the hit is ordered by: fused (hybrid), BM25 score or similarity."
          }
        },
        "required": [
          "fused"
        ],
        "additionalProperties": false,
        "description": "Each ranking's rank and raw score; a ranking that did not find the hit is absent."
      },
      "SearchHit": {
        "type": "object",
        "properties": {
          "rank": {
            "type": "integer",
            "minimum": 1
          },
          "document_id": {
            "type": "string"
          },
          "chunk_id": {
            "type": "integer"
          },
          "ordinal": {
            "type": "integer"
          },
          "title": {
            "type": "string"
          },
          "source": {
            "type": "string"
          },
          "heading_path": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "snippet": {
            "type": "string"
          },
          "text": {
            "type": "string"
          },
          "metadata": {
            "type": "object"
          },
          "scores": {
            "$ref": "#/components/schemas/ScoreBreakdown"
          }
        },
        "required": [
          "rank",
          "document_id",
          "chunk_id",
          "ordinal",
          "title",
          "source",
          "heading_path",
          "snippet",
          "text",
          "metadata",
          "scores"
        ],
        "additionalProperties": false
      },
      "SearchResponse": {
        "type": "object",
        "properties": {
          "query": {
            "type": "string"
          },
          "kb": {
            "type": "string"
          },
          "mode": {
            "type": "string",
            "enum": [
              "hybrid",
              "bm25",
              "dense"
            ]
          },
          "k": {
            "type": "integer"
          },
          "fusion": {
            "type": "string",
            "description": "`rrf(k=60)` or `weighted(alpha=0.5)`; hybrid mode only."
          },
          "filters": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/MetadataFilter"
            }
          },
          "mmr": {
            "type": "number",
            "description": "The MMR lambda, when given."
          },
          "exact": {
            "type": "boolean"
          },
          "hits": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/SearchHit"
            }
          },
          "took_ms": {
            "type": "number"
          }
        },
        "required": [
          "query",
          "kb",
          "mode",
          "k",
          "filters",
          "exact",
          "hits",
          "took_ms"
        ],
        "additionalProperties": false
      },
      "IngestProblem": {
        "type": "object",
        "properties": {
          "path": {
            "type": "string",
            "description": "`upload:<file name>`, with `#<record id>` for records."
          },
          "line": {
            "type": "integer"
          },
          "reason": {
            "type": "string"
          }
        },
        "required": [
          "path",
          "reason"
        ],
        "additionalProperties": false
      },
      "IngestSummary": {
        "type": "object",
        "properties": {
          "kb": {
            "type": "string"
          },
          "files": {
            "type": "integer"
          },
          "added": {
            "type": "integer"
          },
          "updated": {
            "type": "integer"
          },
          "unchanged": {
            "type": "integer"
          },
          "chunks_embedded": {
            "type": "integer"
          },
          "skipped": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/IngestProblem"
            },
            "description": "Files or records that could not be stored, with the reason."
          },
          "ignored": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/IngestProblem"
            }
          },
          "seconds": {
            "type": "number"
          }
        },
        "required": [
          "kb",
          "files",
          "added",
          "updated",
          "unchanged",
          "chunks_embedded",
          "skipped",
          "ignored",
          "seconds"
        ],
        "additionalProperties": false
      },
      "DocumentSummary": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string"
          },
          "kb": {
            "type": "string"
          },
          "source": {
            "type": "string",
            "description": "Source URI: `upload:<file name>` for uploads, the absolute path for `spotter ingest`."
          },
          "title": {
            "type": "string"
          },
          "content_sha256": {
            "type": "string"
          },
          "metadata": {
            "type": "object"
          },
          "allowed_groups": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "chunks": {
            "type": "integer"
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "updated_at": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "id",
          "kb",
          "source",
          "title",
          "content_sha256",
          "metadata",
          "allowed_groups",
          "chunks",
          "created_at",
          "updated_at"
        ],
        "additionalProperties": false
      },
      "DocumentList": {
        "type": "object",
        "properties": {
          "kb": {
            "type": "string"
          },
          "documents": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/DocumentSummary"
            }
          }
        },
        "required": [
          "kb",
          "documents"
        ],
        "additionalProperties": false
      },
      "ChatRequest": {
        "type": "object",
        "properties": {
          "message": {
            "type": "string",
            "minLength": 1,
            "maxLength": 8000
          },
          "session_id": {
            "type": "string",
            "description": "Continue this session; a new one is made when absent."
          },
          "kb": {
            "type": "string"
          },
          "filters": {
            "type": "object",
            "description": "Metadata key → a value or a list of values (any of them matches).",
            "additionalProperties": {
              "type": [
                "string",
                "array"
              ],
              "items": {
                "type": "string"
              }
            }
          },
          "stream": {
            "type": "boolean",
            "description": "Answer as `text/event-stream` (also when `Accept: text/event-stream`)."
          },
          "assistant": {
            "type": "string",
            "default": "spotter"
          },
          "cache": {
            "type": "boolean",
            "default": true,
            "description": "false: the answer is neither served from nor stored in the semantic cache."
          },
          "variant": {
            "type": "string",
            "description": "Use this variant of the assistant instead of the sticky assignment (for testing a variant); 422 when the assistant has no such variant."
          },
          "user": {
            "type": "string",
            "description": "An opaque end-user id: keeps the user on one variant of the assistant (otherwise the session does), and is passed to the model upstream."
          }
        },
        "required": [
          "message"
        ],
        "additionalProperties": false,
        "description": "Unknown fields are refused with 400 `unknown_field`."
      },
      "Citation": {
        "type": "object",
        "properties": {
          "n": {
            "type": "integer",
            "description": "The `[n]` marker in the answer."
          },
          "document_id": {
            "type": "string"
          },
          "chunk_id": {
            "type": "integer"
          },
          "title": {
            "type": "string"
          },
          "source": {
            "type": "string"
          },
          "snippet": {
            "type": "string"
          },
          "score": {
            "type": "number"
          }
        },
        "required": [
          "n",
          "document_id",
          "chunk_id",
          "title",
          "source",
          "snippet",
          "score"
        ],
        "additionalProperties": false
      },
      "Usage": {
        "type": "object",
        "properties": {
          "prompt_tokens": {
            "type": "integer"
          },
          "completion_tokens": {
            "type": "integer"
          },
          "total_tokens": {
            "type": "integer"
          },
          "estimated": {
            "type": "boolean",
            "description": "True when counted locally rather than reported by the model."
          }
        },
        "required": [
          "prompt_tokens",
          "completion_tokens",
          "total_tokens",
          "estimated"
        ],
        "additionalProperties": false
      },
      "ChatResponse": {
        "type": "object",
        "properties": {
          "answer_id": {
            "type": "string"
          },
          "session_id": {
            "type": "string"
          },
          "answer": {
            "type": "string"
          },
          "citations": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Citation"
            }
          },
          "usage": {
            "$ref": "#/components/schemas/Usage"
          },
          "cost_usd": {
            "type": [
              "number",
              "null"
            ]
          },
          "model": {
            "type": "string"
          },
          "cached": {
            "type": "boolean",
            "description": "True when the answer was served from the semantic cache (then `usage` is zero and `cache` says what was saved)."
          },
          "grounded": {
            "type": "boolean"
          },
          "trace_id": {
            "type": "string"
          },
          "cache": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/CacheMatch"
              },
              {
                "type": "null"
              }
            ]
          }
        },
        "required": [
          "answer_id",
          "session_id",
          "answer",
          "citations",
          "usage",
          "cost_usd",
          "model",
          "cached",
          "grounded",
          "trace_id",
          "cache"
        ],
        "additionalProperties": false
      },
      "ChatTokenEvent": {
        "type": "object",
        "properties": {
          "text": {
            "type": "string"
          }
        },
        "required": [
          "text"
        ],
        "additionalProperties": false,
        "description": "Data of `event: token`."
      },
      "ChatCitationsEvent": {
        "type": "object",
        "properties": {
          "citations": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Citation"
            }
          }
        },
        "required": [
          "citations"
        ],
        "additionalProperties": false,
        "description": "Data of `event: citations`."
      },
      "ChatCompletionMessage": {
        "type": "object",
        "properties": {
          "role": {
            "type": "string",
            "enum": [
              "system",
              "user",
              "assistant"
            ]
          },
          "content": {
            "type": "string"
          }
        },
        "required": [
          "role",
          "content"
        ],
        "additionalProperties": false
      },
      "ChatCompletionRequest": {
        "type": "object",
        "properties": {
          "messages": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ChatCompletionMessage"
            },
            "minItems": 1
          },
          "model": {
            "type": "string",
            "default": "spotter"
          },
          "stream": {
            "type": "boolean"
          },
          "temperature": {
            "type": "number",
            "minimum": 0,
            "maximum": 2
          },
          "max_tokens": {
            "type": "integer",
            "minimum": 1
          },
          "user": {
            "type": "string"
          }
        },
        "required": [
          "messages"
        ],
        "description": "OpenAI-compatible; the last `user` message is the question, earlier ones the history."
      },
      "SpotterAnswerInfo": {
        "type": "object",
        "properties": {
          "answer_id": {
            "type": "string"
          },
          "citations": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Citation"
            }
          },
          "grounded": {
            "type": "boolean",
            "description": "false when the knowledge base had nothing relevant enough and the answer says so"
          },
          "model": {
            "type": "string",
            "description": "the model that wrote the answer: `host/model` of an upstream, `offline` for the extractive answerer, `none` when nothing relevant was found"
          },
          "cost_usd": {
            "type": [
              "number",
              "null"
            ],
            "description": "from SPOTTER_LLM_PRICES; null when the model has no price"
          },
          "trace_id": {
            "type": "string"
          },
          "tokens_estimated": {
            "type": "boolean",
            "description": "true when the token counts are estimated here rather than reported by the upstream"
          }
        },
        "required": [
          "answer_id",
          "citations",
          "grounded",
          "model",
          "cost_usd",
          "trace_id",
          "tokens_estimated"
        ],
        "additionalProperties": false,
        "description": "Spotter's own fields beside OpenAI's. OpenAI-style requests carry the whole conversation, so no session is kept."
      },
      "ChatCompletionResponse": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string"
          },
          "object": {
            "type": "string",
            "enum": [
              "chat.completion"
            ]
          },
          "created": {
            "type": "integer"
          },
          "model": {
            "type": "string"
          },
          "choices": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "index": {
                  "type": "integer"
                },
                "message": {
                  "type": "object",
                  "properties": {
                    "role": {
                      "type": "string",
                      "enum": [
                        "assistant"
                      ]
                    },
                    "content": {
                      "type": "string"
                    },
                    "refusal": {
                      "type": "null"
                    }
                  },
                  "required": [
                    "role",
                    "content"
                  ],
                  "additionalProperties": false
                },
                "finish_reason": {
                  "type": "string"
                },
                "logprobs": {
                  "type": "null"
                }
              },
              "required": [
                "index",
                "message",
                "finish_reason",
                "logprobs"
              ],
              "additionalProperties": false
            }
          },
          "usage": {
            "$ref": "#/components/schemas/CompletionUsage"
          },
          "spotter": {
            "$ref": "#/components/schemas/SpotterAnswerInfo"
          },
          "system_fingerprint": {
            "type": "null"
          }
        },
        "required": [
          "id",
          "object",
          "created",
          "model",
          "choices",
          "usage",
          "spotter",
          "system_fingerprint"
        ],
        "additionalProperties": false
      },
      "ChatCompletionChunk": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string"
          },
          "object": {
            "type": "string",
            "enum": [
              "chat.completion.chunk"
            ]
          },
          "created": {
            "type": "integer"
          },
          "model": {
            "type": "string"
          },
          "choices": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "index": {
                  "type": "integer"
                },
                "delta": {
                  "type": "object",
                  "properties": {
                    "role": {
                      "type": "string",
                      "enum": [
                        "assistant"
                      ]
                    },
                    "content": {
                      "type": "string"
                    }
                  },
                  "additionalProperties": false
                },
                "finish_reason": {
                  "type": [
                    "string",
                    "null"
                  ]
                },
                "logprobs": {
                  "type": "null"
                }
              },
              "required": [
                "index",
                "delta",
                "finish_reason"
              ],
              "additionalProperties": false
            }
          },
          "spotter": {
            "$ref": "#/components/schemas/SpotterAnswerInfo"
          },
          "system_fingerprint": {
            "type": "null"
          },
          "usage": {
            "oneOf": [
              {
                "type": "null"
              },
              {
                "$ref": "#/components/schemas/CompletionUsage"
              }
            ],
            "description": "null on every chunk except the last one when `stream_options.include_usage` is true; that chunk has no choices"
          }
        },
        "required": [
          "id",
          "object",
          "created",
          "model",
          "choices",
          "system_fingerprint",
          "usage"
        ],
        "additionalProperties": false,
        "description": "One `data:` line of a streamed completion; the last chunk carries `spotter`; the stream ends with `data: [DONE]`."
      },
      "ModelList": {
        "type": "object",
        "properties": {
          "object": {
            "type": "string",
            "enum": [
              "list"
            ]
          },
          "data": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "id": {
                  "type": "string"
                },
                "object": {
                  "type": "string",
                  "enum": [
                    "model"
                  ]
                },
                "created": {
                  "type": "integer"
                },
                "owned_by": {
                  "type": "string"
                },
                "description": {
                  "type": "string",
                  "description": "what the assistant configuration is for"
                }
              },
              "required": [
                "id",
                "object",
                "created",
                "owned_by",
                "description"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "object",
          "data"
        ],
        "additionalProperties": false
      },
      "SessionMessage": {
        "type": "object",
        "properties": {
          "role": {
            "type": "string",
            "enum": [
              "user",
              "assistant"
            ]
          },
          "content": {
            "type": "string"
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "answer_id": {
            "type": "string"
          },
          "citations": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Citation"
            }
          }
        },
        "required": [
          "role",
          "content",
          "created_at"
        ],
        "additionalProperties": false
      },
      "Session": {
        "type": "object",
        "properties": {
          "session_id": {
            "type": "string"
          },
          "kb": {
            "type": "string"
          },
          "assistant": {
            "type": "string",
            "description": "The assistant the session talks to."
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "updated_at": {
            "type": "string",
            "format": "date-time"
          },
          "expires_at": {
            "type": "string",
            "format": "date-time"
          },
          "messages": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/SessionMessage"
            }
          }
        },
        "required": [
          "session_id",
          "kb",
          "created_at",
          "updated_at",
          "expires_at",
          "messages"
        ],
        "additionalProperties": false
      },
      "CompletionUsage": {
        "type": "object",
        "properties": {
          "prompt_tokens": {
            "type": "integer"
          },
          "completion_tokens": {
            "type": "integer"
          },
          "total_tokens": {
            "type": "integer"
          }
        },
        "required": [
          "prompt_tokens",
          "completion_tokens",
          "total_tokens"
        ],
        "additionalProperties": false
      },
      "FeedbackRequest": {
        "type": "object",
        "properties": {
          "answer_id": {
            "type": "string",
            "description": "The `answer_id` of the answer judged."
          },
          "rating": {
            "type": "string",
            "enum": [
              "up",
              "down"
            ]
          },
          "reason": {
            "type": "string",
            "maxLength": 200,
            "description": "A short label: `wrong`, `outdated`, `not relevant`, …"
          },
          "comment": {
            "type": "string",
            "maxLength": 4000
          },
          "correction": {
            "type": "string",
            "maxLength": 16000,
            "description": "What the answer should have said (for evaluation and fine-tuning sets)."
          },
          "user": {
            "type": "string",
            "maxLength": 128,
            "description": "Who judged; feedback is kept once per answer and user."
          }
        },
        "required": [
          "answer_id",
          "rating"
        ],
        "additionalProperties": false
      },
      "Feedback": {
        "type": "object",
        "properties": {
          "answer_id": {
            "type": "string"
          },
          "user": {
            "type": "string",
            "description": "Empty for an anonymous caller."
          },
          "rating": {
            "type": "string",
            "enum": [
              "up",
              "down"
            ]
          },
          "reason": {
            "type": [
              "string",
              "null"
            ]
          },
          "comment": {
            "type": [
              "string",
              "null"
            ]
          },
          "correction": {
            "type": [
              "string",
              "null"
            ]
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "updated_at": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "answer_id",
          "user",
          "rating",
          "created_at",
          "updated_at"
        ],
        "additionalProperties": false
      },
      "FeedbackReceipt": {
        "type": "object",
        "properties": {
          "feedback": {
            "$ref": "#/components/schemas/Feedback"
          },
          "previous_rating": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "up",
              "down",
              null
            ],
            "description": "The rating this replaced; null for the user's first feedback on the answer."
          },
          "cache": {
            "type": [
              "object",
              "null"
            ],
            "description": "What the cache did; null unless the rating turned to `down`.",
            "properties": {
              "evicted_entries": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "false_hit_recorded": {
                "type": "boolean"
              }
            },
            "required": [
              "evicted_entries",
              "false_hit_recorded"
            ],
            "additionalProperties": false
          }
        },
        "required": [
          "feedback"
        ],
        "additionalProperties": false
      },
      "AnswerRecord": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string"
          },
          "session_id": {
            "type": [
              "string",
              "null"
            ]
          },
          "kb": {
            "type": "string"
          },
          "assistant": {
            "type": "string"
          },
          "prompt_version": {
            "type": "string"
          },
          "question": {
            "type": "string"
          },
          "standalone_question": {
            "type": "string"
          },
          "answer": {
            "type": "string"
          },
          "citations": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Citation"
            }
          },
          "model": {
            "type": "string"
          },
          "grounded": {
            "type": "boolean"
          },
          "usage": {
            "$ref": "#/components/schemas/Usage"
          },
          "cost_usd": {
            "type": [
              "number",
              "null"
            ]
          },
          "latency_ms": {
            "type": "number"
          },
          "trace": {
            "type": "object",
            "properties": {
              "id": {
                "type": "string"
              },
              "stages": {
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "stage": {
                      "type": "string"
                    },
                    "ms": {
                      "type": "number"
                    },
                    "outcome": {
                      "type": "string"
                    },
                    "failed": {
                      "type": "boolean"
                    }
                  },
                  "required": [
                    "stage",
                    "ms",
                    "outcome",
                    "failed"
                  ],
                  "additionalProperties": false
                }
              },
              "cache": {
                "$ref": "#/components/schemas/CacheMatch"
              }
            },
            "required": [
              "id",
              "stages"
            ],
            "additionalProperties": false
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "tenant": {
            "type": "string"
          },
          "retrieved": {
            "type": "array",
            "description": "Every passage retrieval returned, best first (empty for a cached answer).",
            "items": {
              "type": "object",
              "properties": {
                "chunk_id": {
                  "type": "integer"
                },
                "document_id": {
                  "type": "string"
                },
                "score": {
                  "type": "number",
                  "description": "Cosine similarity when the dense index found the passage, else the fused score."
                }
              },
              "required": [
                "chunk_id",
                "document_id",
                "score"
              ],
              "additionalProperties": false
            }
          },
          "cached": {
            "type": "boolean"
          },
          "cache": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/CacheMatch"
              },
              {
                "type": "null"
              }
            ]
          },
          "feedback": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Feedback"
            }
          },
          "variant": {
            "type": "string",
            "description": "The assistant's variant that wrote the answer (`control` when it has none)."
          },
          "guards": {
            "type": "array",
            "description": "The input and output checks and what each decided, in the order they ran.",
            "items": {
              "$ref": "#/components/schemas/GuardDecision"
            }
          }
        },
        "required": [
          "id",
          "kb",
          "assistant",
          "prompt_version",
          "question",
          "standalone_question",
          "answer",
          "citations",
          "model",
          "grounded",
          "usage",
          "latency_ms",
          "trace",
          "created_at",
          "cached",
          "feedback",
          "tenant",
          "retrieved",
          "variant",
          "guards"
        ],
        "additionalProperties": false
      },
      "DriftSignalStatus": {
        "type": "object",
        "properties": {
          "signal": {
            "type": "string",
            "enum": [
              "cache_miss_rate",
              "negative_feedback_rate",
              "query_shift",
              "knowledge_gaps"
            ]
          },
          "state": {
            "type": "string",
            "enum": [
              "ok",
              "warning",
              "drifting"
            ]
          },
          "value": {
            "type": [
              "number",
              "null"
            ],
            "description": "The rate, or the KS p-value for query_shift; null before the first evaluation."
          },
          "samples": {
            "type": "integer",
            "description": "Observations in the current window."
          },
          "minimum_samples": {
            "type": "integer",
            "description": "Observations needed before the state may change."
          },
          "trigger": {
            "type": "number",
            "description": "Where the signal drifts: above it for rates, below it for the p-value."
          },
          "clear_at": {
            "type": "number",
            "description": "Where a drifting signal returns to ok (and a quiet one starts to warn)."
          },
          "since": {
            "type": "string",
            "format": "date-time"
          },
          "actions": {
            "type": "array",
            "items": {
              "type": "string",
              "enum": [
                "alert",
                "refresh",
                "gaps"
              ]
            }
          }
        },
        "required": [
          "signal",
          "state",
          "value",
          "samples",
          "minimum_samples",
          "trigger",
          "clear_at",
          "since",
          "actions"
        ],
        "additionalProperties": false
      },
      "RefreshSummary": {
        "type": "object",
        "properties": {
          "kbs": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "kb": {
                  "type": "string"
                },
                "sources": {
                  "type": "integer"
                },
                "added": {
                  "type": "integer"
                },
                "updated": {
                  "type": "integer"
                },
                "unchanged": {
                  "type": "integer"
                },
                "deleted": {
                  "type": "integer"
                },
                "missing_sources": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  },
                  "description": "Sources that no longer exist; their documents are kept."
                },
                "problems": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "properties": {
                      "path": {
                        "type": "string"
                      },
                      "line": {
                        "type": "integer"
                      },
                      "reason": {
                        "type": "string"
                      }
                    },
                    "required": [
                      "path",
                      "reason"
                    ],
                    "additionalProperties": false
                  }
                },
                "index": {
                  "type": "string",
                  "description": "What happened to the dense index."
                }
              },
              "required": [
                "kb",
                "sources",
                "added",
                "updated",
                "unchanged",
                "deleted",
                "missing_sources",
                "problems",
                "index"
              ],
              "additionalProperties": false
            }
          },
          "cache_entries_dropped": {
            "type": "integer"
          },
          "seconds": {
            "type": "number"
          }
        },
        "required": [
          "kbs",
          "cache_entries_dropped",
          "seconds"
        ],
        "additionalProperties": false
      },
      "RefreshStatus": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string"
          },
          "trigger": {
            "type": "string",
            "description": "manual, or drift:<signal>."
          },
          "state": {
            "type": "string",
            "enum": [
              "running",
              "succeeded",
              "failed"
            ]
          },
          "started_at": {
            "type": "string",
            "format": "date-time"
          },
          "finished_at": {
            "type": [
              "string",
              "null"
            ],
            "format": "date-time"
          },
          "sources_done": {
            "type": "integer"
          },
          "sources_total": {
            "type": "integer"
          },
          "documents_read": {
            "type": "integer"
          },
          "summary": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/RefreshSummary"
              },
              {
                "type": "null"
              }
            ]
          },
          "error": {
            "type": [
              "string",
              "null"
            ]
          }
        },
        "required": [
          "id",
          "trigger",
          "state",
          "started_at",
          "finished_at",
          "sources_done",
          "sources_total",
          "documents_read",
          "summary",
          "error"
        ],
        "additionalProperties": false
      },
      "RefreshReply": {
        "type": "object",
        "properties": {
          "refresh": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/RefreshStatus"
              },
              {
                "type": "null"
              }
            ]
          }
        },
        "required": [
          "refresh"
        ],
        "additionalProperties": false
      },
      "DriftReport": {
        "type": "object",
        "properties": {
          "enabled": {
            "type": "boolean"
          },
          "window": {
            "type": "integer"
          },
          "signals": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/DriftSignalStatus"
            }
          },
          "reference_samples": {
            "type": "integer",
            "description": "Questions in the query-shift reference; complete at `window`."
          },
          "refresh": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/RefreshStatus"
              },
              {
                "type": "null"
              }
            ]
          }
        },
        "required": [
          "enabled",
          "window",
          "signals",
          "reference_samples",
          "refresh"
        ],
        "additionalProperties": false
      },
      "KnowledgeGapReport": {
        "type": "object",
        "properties": {
          "since": {
            "type": "string",
            "format": "date-time"
          },
          "questions": {
            "type": "integer"
          },
          "distinct_questions": {
            "type": "integer"
          },
          "gaps": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "count": {
                  "type": "integer"
                },
                "representative": {
                  "type": "string"
                },
                "examples": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                },
                "kbs": {
                  "type": "array",
                  "items": {
                    "type": "string"
                  }
                }
              },
              "required": [
                "count",
                "representative",
                "examples",
                "kbs"
              ],
              "additionalProperties": false
            }
          }
        },
        "required": [
          "since",
          "questions",
          "distinct_questions",
          "gaps"
        ],
        "additionalProperties": false
      },
      "GuardDecision": {
        "type": "object",
        "description": "What one input or output check decided about the answer.",
        "properties": {
          "check": {
            "type": "string",
            "enum": [
              "input",
              "grounding",
              "citations",
              "cache_verification"
            ]
          },
          "action": {
            "type": "string",
            "enum": [
              "passed",
              "modified",
              "refused"
            ]
          },
          "detail": {
            "type": "string"
          }
        },
        "required": [
          "check",
          "action"
        ]
      }
    },
    "responses": {
      "NotReady": {
        "description": "The server is not ready yet (starting, or reloading); retry after the `Retry-After` seconds.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "not_ready": {
                "value": {
                  "error": {
                    "code": "not_ready",
                    "message": "the server is not ready (loading indexes); retry in 5 s"
                  }
                }
              }
            }
          }
        },
        "headers": {
          "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {
              "type": "integer"
            }
          }
        }
      },
      "UnavailableOrNotReady": {
        "description": "Not ready yet (`not_ready`, with `Retry-After`), or the store or model failed (`unavailable`).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "not_ready": {
                "value": {
                  "error": {
                    "code": "not_ready",
                    "message": "the server is not ready (loading indexes); retry in 5 s"
                  }
                }
              },
              "unavailable": {
                "value": {
                  "error": {
                    "code": "unavailable",
                    "message": "store error while trying to list documents: disk I/O error"
                  }
                }
              }
            }
          }
        },
        "headers": {
          "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {
              "type": "integer"
            }
          }
        }
      },
      "BadJSON": {
        "description": "Malformed JSON (`malformed_json`), an unknown field (`unknown_field`) or a bad query parameter.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "malformed_json": {
                "value": {
                  "error": {
                    "code": "malformed_json",
                    "message": "the request body is not valid JSON: Unexpected character '}' around line 1, column 14."
                  }
                }
              },
              "unknown_field": {
                "value": {
                  "error": {
                    "code": "unknown_field",
                    "message": "unknown field 'sesion_id'; accepted: assistant, filters, kb, message, session_id, stream"
                  }
                }
              }
            }
          }
        }
      },
      "BodyTooLarge1MB": {
        "description": "The body is over 1 MB.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "body_too_large": {
                "value": {
                  "error": {
                    "code": "body_too_large",
                    "message": "the request body is too large: the limit is 1 MB"
                  }
                }
              }
            }
          }
        }
      },
      "NotJSON": {
        "description": "The body is not `application/json`.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "unsupported_media_type": {
                "value": {
                  "error": {
                    "code": "unsupported_media_type",
                    "message": "send the body as JSON with 'Content-Type: application/json' (got 'text/plain')"
                  }
                }
              }
            }
          }
        }
      },
      "InvalidField": {
        "description": "A field is missing, of the wrong type or out of range.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "invalid_field": {
                "value": {
                  "error": {
                    "code": "invalid_field",
                    "message": "field 'message' is required"
                  }
                }
              }
            }
          }
        }
      },
      "RateLimited": {
        "description": "Too many requests; retry after `Retry-After` seconds.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "rate_limited": {
                "value": {
                  "error": {
                    "code": "rate_limited",
                    "message": "too many requests; retry in 10 s"
                  }
                }
              }
            }
          }
        },
        "headers": {
          "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "schema": {
              "type": "integer"
            }
          }
        }
      },
      "UnknownDocument": {
        "description": "No such document.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "unknown_document": {
                "value": {
                  "error": {
                    "code": "unknown_document",
                    "message": "no document with id 'abc'; GET /v1/documents?kb=NAME lists them"
                  }
                }
              }
            }
          }
        }
      },
      "UnknownSession": {
        "description": "No such session (or it expired).",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "unknown_session": {
                "value": {
                  "error": {
                    "code": "unknown_session",
                    "message": "no session 'ses_01JDX4M2ZK'; it may have expired"
                  }
                }
              }
            }
          }
        }
      },
      "UnknownKnowledgeBase": {
        "description": "Unknown knowledge base.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "unknown_knowledge_base": {
                "value": {
                  "error": {
                    "code": "unknown_knowledge_base",
                    "message": "no knowledge base named 'missing' (available: default)"
                  }
                }
              }
            }
          }
        }
      },
      "UnknownAnswerTarget": {
        "description": "The knowledge base or the assistant (`assistant` in /v1/chat, `model` in /v1/chat/completions) does not exist. An unknown `session_id` is not an error: it starts a session under that id.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "unknown_knowledge_base": {
                "value": {
                  "error": {
                    "code": "unknown_knowledge_base",
                    "message": "no knowledge base named 'fitnes' (available: default, fitness)"
                  }
                }
              },
              "unknown_assistant": {
                "value": {
                  "error": {
                    "code": "unknown_assistant",
                    "message": "no assistant named 'gpt-4o' (available: spotter)"
                  }
                }
              }
            }
          }
        }
      },
      "UpstreamFailed": {
        "description": "the language models failed after the answer had started (or every model of the chain failed): `upstream_failed`",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "example": {
              "error": {
                "code": "upstream_failed",
                "message": "the language model at api.openai.com/gpt-4o-mini ended its stream before finishing the answer"
              }
            }
          }
        }
      },
      "UnknownAnswer": {
        "description": "No such answer.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            },
            "examples": {
              "unknown_answer": {
                "value": {
                  "error": {
                    "code": "unknown_answer",
                    "message": "no answer 'ans_0000000000000000' (the id comes from an answer's `answer_id`)"
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
"""#
}
