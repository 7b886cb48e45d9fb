import { Injectable } from "@nestjs/common";

export interface Cat {
  name: string;
  age: number;
}

@Injectable()
export class CatsService {
  private readonly cats: Cat[] = [{ name: "Mittens", age: 3 }];

  findAll(): Cat[] {
    return this.cats;
  }
}
